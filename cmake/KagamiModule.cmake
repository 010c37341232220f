# kagami_module(NAME DEPS dep...): one static library per folder under src/kagami,
# built from every .cc in that folder. Headers are included as "kagami/<module>/x.h".
function(kagami_module name)
  cmake_parse_arguments(M "" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  add_library(kagami_${name} STATIC ${sources})
  target_include_directories(kagami_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(kagami_${name} PUBLIC ${M_DEPS} PRIVATE kagami_warnings ${M_PRIVATE_DEPS})
endfunction()
