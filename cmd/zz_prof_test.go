//go:build unix

package cmd

import (
	"context"
	"io"
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestZZProf(t *testing.T) {
	if os.Getenv("ZZPROF") == "" {
		t.Skip()
	}
	f, _ := os.Create(os.Getenv("ZZPROF"))
	pprof.StartCPUProfile(f)
	for range 10 {
		a := &app{stdin: os.Stdin, stdout: io.Discard, stderr: os.Stderr, now: time.Now}
		a.run(context.Background(), []string{"check"})
	}
	pprof.StopCPUProfile()
}
