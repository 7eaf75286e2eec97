# Warning set shared by every target of the project (not by third-party code).
add_library(stampede_warnings INTERFACE)
target_compile_options(stampede_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wimplicit-fallthrough -Wold-style-cast -Wnon-virtual-dtor -Woverloaded-virtual)
if(STAMPEDE_WERROR)
  target_compile_options(stampede_warnings INTERFACE -Werror)
endif()
