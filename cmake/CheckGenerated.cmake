# cmake -DTBLGEN=... -DTD=... -DINCLUDES=a;b -DCHECKED_IN=... -DOUT=...
#       -P CheckGenerated.cmake
# Regenerates a checked-in file with sinan-tblgen and fails when the copy in
# the tree differs (a stale file names the target that updates it).
set(args)
foreach(dir ${INCLUDES})
  list(APPEND args -I "${dir}")
endforeach()
execute_process(
  COMMAND "${TBLGEN}" --gen-host-op-signatures "${TD}" ${args} -o "${OUT}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "sinan-tblgen failed on ${TD}")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${CHECKED_IN}"
  "${OUT}" RESULT_VARIABLE differs)
if(differs)
  message(FATAL_ERROR "${CHECKED_IN} is stale: the graph dialect's ODS "
    "changed. Run `cmake --build --preset dev --target "
    "update-graph-op-signatures` and commit the result.")
endif()
