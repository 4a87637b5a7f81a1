# Picks the man(3) pages worth installing from Doxygen's output (cmake -P,
# with IN and OUT directories).
#
# Doxygen writes a page per header, per struct, and with MAN_LINKS a link
# page per member, struct fields included: size.3, flags.3 and index.3
# would clash with every other library. Only names in libvuc's namespaces
# are kept (vuc_*, VUC_*, vfio_user_*, VFIO_USER_*), and the header pages,
# vuc.h.3 and protocol.h.3, get the prefix of the directory they are
# included from (vuc_vuc.h.3, vuc_protocol.h.3), with the links to them
# rewritten.
cmake_minimum_required(VERSION 3.18)
if(NOT IN OR NOT OUT)
  message(FATAL_ERROR "usage: cmake -DIN=DIR -DOUT=DIR -P man3.cmake")
endif()
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT})
file(GLOB headers RELATIVE ${IN} ${IN}/*.h.3)
file(GLOB pages RELATIVE ${IN} ${IN}/vuc_*.3 ${IN}/VUC_*.3 ${IN}/vfio_user_*.3
     ${IN}/VFIO_USER_*.3)
if(NOT headers OR NOT pages)
  message(FATAL_ERROR "no man pages in ${IN}")
endif()
foreach(page IN LISTS headers pages)
  file(READ ${IN}/${page} text)
  foreach(h IN LISTS headers)
    string(REPLACE ".so man3/${h}\n" ".so man3/vuc_${h}\n" text "${text}")
  endforeach()
  if(page IN_LIST headers)
    set(page vuc_${page})
  endif()
  file(WRITE ${OUT}/${page} "${text}")
endforeach()
