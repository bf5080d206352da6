package main

import (
	"bytes"
	"os"
	"strconv"
)

// rssMB reads the resident set size from /proc (0 when unavailable).
func rssMB() int64 { return procStatusMB("VmRSS:") }

// peakRSSMB reads the peak resident set size (high-water mark) from /proc.
func peakRSSMB() int64 { return procStatusMB("VmHWM:") }

func procStatusMB(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte(key)) {
			f := bytes.Fields(line[len(key):])
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(string(f[0]), 10, 64)
				return kb >> 10
			}
		}
	}
	return 0
}
