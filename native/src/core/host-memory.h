// How much memory a new allocation can take on this machine: MemAvailable from /proc/meminfo,
// lowered to the room left under the process's cgroup limit where there is one (a container,
// a systemd slice). cgroup v2 (memory.max, memory.current) and v1 (memory.limit_in_bytes,
// memory.usage_in_bytes) are read for the process's own group and every ancestor; file cache
// the group may reclaim (inactive_file) does not count as used.
#pragma once
#include <cstdint>
#include <string>

namespace mg {

struct HostMemory {
    bool known = false;           // false where /proc/meminfo cannot be read
    uint64_t available = 0;       // the smaller of the two below
    uint64_t mem_available = 0;   // MemAvailable
    uint64_t cgroup_room = UINT64_MAX;  // limit minus usage of the tightest group; max when unlimited
    std::string source;           // what bounds `available`, for messages
};

// `root` prefixes /proc and /sys, so tests can hand it a made-up machine.
HostMemory probe_host_memory(const std::string & root = "");

}  // namespace mg
