# stampede_layer(NAME DEPS ...)
# Declares one architectural layer as a library `stampede_<NAME>` (alias stampede::<NAME>) built from
# every *.cc in src/<NAME>/. Headers live beside the sources and are included as "<layer>/<file>.h"
# from src/. A layer sees only the layers it links, so the dependency direction of
# docs/architecture.md is enforced by the build. A layer with no sources yet is an INTERFACE
# library, so the graph is complete from day one.
function(stampede_layer name)
  cmake_parse_arguments(L "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(sources)
    add_library(stampede_${name} STATIC ${sources})
    target_include_directories(stampede_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(stampede_${name} PUBLIC ${L_DEPS} PRIVATE stampede_warnings)
  else()
    add_library(stampede_${name} INTERFACE)
    target_include_directories(stampede_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(stampede_${name} INTERFACE ${L_DEPS})
  endif()
  add_library(stampede::${name} ALIAS stampede_${name})
endfunction()
