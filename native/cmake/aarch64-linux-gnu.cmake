# Cross-compiles the engine for arm64 (the Raspberry Pi 5's Cortex-A76) and runs the tests under
# qemu user-mode emulation:
#   cmake -S native -B native/out-arm64 -DCMAKE_TOOLCHAIN_FILE=native/cmake/aarch64-linux-gnu.cmake
#   cmake --build native/out-arm64 -j 2 && (cd native/out-arm64 && ctest)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(MG_CPU_FLAGS "-mcpu=cortex-a76" CACHE STRING "")
# ctest runs every test executable through this; test-cli.sh gets it as MG_TEST_RUNNER.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -cpu cortex-a76 -L /usr/aarch64-linux-gnu)
# Emulation is 10-20x slower: the slow tests read this and run a reduced version.
set(MG_TEST_EMULATED ON CACHE BOOL "")
