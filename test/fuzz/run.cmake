# Runs one fuzzer as a test: its seeds (the repository's own files of the kind it reads, by
# test/fuzz/seeds.cmake) into a fresh corpus, SECONDS of fuzzing, then each input of
# test/fuzz/regressions/NAME once. Any finding fails the test; libFuzzer prints the input.
#   cmake -DFUZZER=path -DNAME=parser -DSOURCE=repo -DWORK=dir -DSECONDS=30 -P run.cmake
include(${SOURCE}/test/fuzz/seeds.cmake)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/seeds)
set(seeds)
foreach(pattern ${ATTUNE_FUZZ_SEEDS_${NAME}})
  file(GLOB matched ${SOURCE}/${pattern})
  list(APPEND seeds ${matched})
endforeach()
list(LENGTH seeds count)
if(count EQUAL 0)
  message(FATAL_ERROR "no seeds for ${NAME}")
endif()
file(COPY ${seeds} DESTINATION ${WORK}/seeds)

# -timeout: an input that takes longer is a finding (a hang); -rss_limit_mb: one that needs
# more memory is too.
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -timeout=60 -rss_limit_mb=4096
          -print_final_stats=1 ${WORK}/corpus ${WORK}/seeds
  WORKING_DIRECTORY ${WORK} RESULT_VARIABLE fuzzed)
if(NOT fuzzed EQUAL 0)
  message(FATAL_ERROR "${NAME}: the fuzzer found an input that fails (see above)")
endif()

file(GLOB regressions ${SOURCE}/test/fuzz/regressions/${NAME}/*)
if(regressions)
  execute_process(COMMAND ${FUZZER} -timeout=60 ${regressions}
                  WORKING_DIRECTORY ${WORK} RESULT_VARIABLE replayed)
  if(NOT replayed EQUAL 0)
    message(FATAL_ERROR "${NAME}: a regression input fails again (see above)")
  endif()
endif()
