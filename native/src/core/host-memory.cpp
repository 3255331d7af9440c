#include "core/host-memory.h"

#include <fstream>
#include <sstream>
#include <vector>

namespace mg {

namespace {

bool read_u64(const std::string & path, uint64_t & v) {
    std::ifstream f(path);
    std::string s;
    if (!(f >> s) || s == "max") return false;
    try {
        size_t used = 0;
        v = std::stoull(s, &used);
        return used == s.size();
    } catch (...) {
        return false;
    }
}

// A "key value" line of a memory.stat file.
uint64_t stat_field(const std::string & path, const std::string & key) {
    std::ifstream f(path);
    std::string k;
    uint64_t v;
    while (f >> k >> v)
        if (k == key) return v;
    return 0;
}

// The group's path and its ancestors, deepest first: "/a/b" -> "/a/b", "/a", "".
std::vector<std::string> lineage(std::string p) {
    std::vector<std::string> out;
    while (!p.empty() && p != "/") {
        out.push_back(p);
        p = p.substr(0, p.find_last_of('/'));
    }
    out.push_back("");
    return out;
}

struct Room {
    uint64_t bytes = UINT64_MAX;
    std::string where;
};

void consider(Room & room, const std::string & dir, const char * limit_file, const char * usage_file,
              const char * inactive_key, const char * label) {
    uint64_t limit, usage = 0;
    if (!read_u64(dir + "/" + limit_file, limit) || limit >= (uint64_t(1) << 60)) return;  // unlimited
    read_u64(dir + "/" + usage_file, usage);
    uint64_t inactive = stat_field(dir + "/memory.stat", inactive_key);
    usage = usage > inactive ? usage - inactive : 0;
    uint64_t r = limit > usage ? limit - usage : 0;
    if (r < room.bytes) room = {r, std::string("the cgroup limit ") + label};
}

}  // namespace

HostMemory probe_host_memory(const std::string & root) {
    HostMemory h;
    {
        std::ifstream f(root + "/proc/meminfo");
        std::string key, unit;
        uint64_t kb;
        while (f >> key >> kb) {
            std::getline(f, unit);
            if (key == "MemAvailable:") {
                h.mem_available = kb * 1024;
                h.known = true;
            }
        }
    }
    Room room;
    std::ifstream cg(root + "/proc/self/cgroup");
    std::string line;
    while (std::getline(cg, line)) {
        // "hierarchy-id:controllers:path"; v2 is "0::path"
        size_t a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (controllers.empty()) {
            for (const std::string & p : lineage(path))
                consider(room, root + "/sys/fs/cgroup" + p, "memory.max", "memory.current", "inactive_file",
                         "(memory.max)");
        } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
            for (const std::string & p : lineage(path))
                consider(room, root + "/sys/fs/cgroup/memory" + p, "memory.limit_in_bytes", "memory.usage_in_bytes",
                         "total_inactive_file", "(memory.limit_in_bytes)");
        }
    }
    h.cgroup_room = room.bytes;
    h.available = h.mem_available;
    h.source = "MemAvailable in /proc/meminfo";
    if (room.bytes < h.available || (!h.known && room.bytes != UINT64_MAX)) {
        h.available = room.bytes;
        h.source = room.where;
        h.known = true;
    }
    return h;
}

}  // namespace mg
