//go:build !linux

package main

func rssMB() int64 { return 0 }

func peakRSSMB() int64 { return 0 }
