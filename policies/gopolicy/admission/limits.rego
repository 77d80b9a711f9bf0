# GP-ADM-004 and GP-ADM-005 (scenario E2): GOMAXPROCS above the
# container's CPU limit makes the runtime run more threads than it is
# given (throttling); GOMEMLIMIT at or above the memory limit means the
# kernel kills the process before the garbage collector reacts. GOFLAGS
# and GOTOOLCHAIN are build settings: in a running container they mean a
# build container's environment was shipped.
package gopolicy.admission.limits

cpus(c) := ceil(c.cpu_limit_millis / 1000)

finding contains {
	"policy": "GP-ADM-004",
	"container": c.name,
	"msg": sprintf("container %s: GOMAXPROCS=%d is above its CPU limit of %dm", [c.name, c.gomaxprocs, c.cpu_limit_millis]),
} if {
	some c in input.containers
	c.cpu_limit_millis > 0
	c.gomaxprocs > cpus(c)
}

finding contains {
	"policy": "GP-ADM-004",
	"container": c.name,
	"msg": sprintf("container %s: GOMEMLIMIT=%s is not below its memory limit of %d bytes", [c.name, c.env.GOMEMLIMIT, c.memory_limit_bytes]),
} if {
	some c in input.containers
	c.memory_limit_bytes > 0
	c.gomemlimit_bytes >= c.memory_limit_bytes
}

finding contains {
	"policy": "GP-ADM-005",
	"container": c.name,
	"msg": sprintf("container %s: %s is set in a running container; it is a build setting", [c.name, name]),
} if {
	some c in input.containers
	some name in ["GOFLAGS", "GOTOOLCHAIN"]
	c.env[name]
}
