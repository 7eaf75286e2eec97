# Warning set shared by every target of the project (not by third-party code).
add_library(stampede_warnings INTERFACE)
target_compile_options(stampede_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wimplicit-fallthrough -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual)
# GCC 12 at -O2/-O3 reports impossible memcpy overlaps inside libstdc++'s std::string
# (GCC bug 105329); the warning says nothing about our code, so it is off for GCC.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(stampede_warnings INTERFACE -Wno-restrict)
endif()
if(STAMPEDE_WERROR)
  target_compile_options(stampede_warnings INTERFACE -Werror)
endif()
