package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is Linux's USER_HZ, the unit of utime and stime in /proc/PID/stat.
// It is 100 on every architecture Go supports on Linux.
const clockTicks = 100

// cpuTime is the user + system CPU time a process has used so far, read from
// /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(string(b))
}

// parseStat reads utime and stime (fields 14 and 15) from a /proc/PID/stat
// line. The command name, field 2, is in parentheses and may hold spaces, so
// counting starts after its closing parenthesis.
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc stat line: %.60q", s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc stat line: %.60q", s)
	}
	var ticks int64
	for _, x := range f[11:13] {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc stat field %q", x)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// cpuMeter adds up the CPU time of the server processes over a run.
type cpuMeter struct {
	pids  []int
	start []time.Duration
}

func startCPU(pids []int) (*cpuMeter, error) {
	m := &cpuMeter{pids: pids}
	for _, p := range pids {
		t, err := cpuTime(p)
		if err != nil {
			return nil, err
		}
		m.start = append(m.start, t)
	}
	return m, nil
}

// used is the CPU time the processes have used since startCPU.
func (m *cpuMeter) used() (time.Duration, error) {
	var sum time.Duration
	for i, p := range m.pids {
		t, err := cpuTime(p)
		if err != nil {
			return 0, err
		}
		sum += t - m.start[i]
	}
	return sum, nil
}
