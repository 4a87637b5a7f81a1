# Writes vuc-testdev's man page (cmake -DPROGRAM=... -DPAGE=... -DOUT=...
# -P man.cmake): the page PAGE, with %%DEVICES%% replaced by the devices and
# their own options that the built PROGRAM lists at the end of --help, so
# that a new device or device option is in the page without an edit.
cmake_minimum_required(VERSION 3.18)
foreach(var PROGRAM PAGE OUT)
  if(NOT ${var})
    message(FATAL_ERROR "man.cmake: -D${var}= is missing")
  endif()
endforeach()
execute_process(COMMAND ${PROGRAM} --help OUTPUT_VARIABLE help
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --help failed (${rc})")
endif()
set(marker "Devices and their own options:\n")
string(FIND "${help}" "${marker}" at)
if(at LESS 0)
  message(FATAL_ERROR "${PROGRAM} --help lists no devices")
endif()
string(LENGTH "${marker}" len)
math(EXPR at "${at} + ${len}")
string(SUBSTRING "${help}" ${at} -1 devices)
# As roff text: backslashes and hyphens escaped, no line read as a request.
string(REPLACE "\\" "\\e" devices "${devices}")
string(REPLACE "-" "\\-" devices "${devices}")
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" devices "${devices}")
string(REGEX REPLACE "\n$" "" devices "${devices}")
file(READ ${PAGE} page)
string(REPLACE "%%DEVICES%%" "${devices}" page "${page}")
file(WRITE ${OUT} "${page}")
