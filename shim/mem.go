package shim

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// trimMemory gives back what creating the container cost: the Go heap
// freed since, and the page-table references to code and read-only data
// (mostly libcontainer's, run once per container). Those pages stay in the
// page cache, shared with every other shim, and fault back in if used.
// Only read-only file mappings without a single private (copied) page are
// dropped, so no content can be lost. (The kernel maps large page-cache
// folios back in whole, so part of it returns on the next fault.)
func trimMemory() {
	if groupMode {
		trimSoon()
		return
	}
	trimNow()
}

var (
	trimMu      sync.Mutex
	trimPending bool
)

// trimSoon batches trims in a monitor: a burst of creates or exits costs
// one GC and one smaps walk, off every container's start path.
func trimSoon() {
	trimMu.Lock()
	defer trimMu.Unlock()
	if trimPending {
		return
	}
	trimPending = true
	time.AfterFunc(time.Second, func() {
		trimMu.Lock()
		trimPending = false
		trimMu.Unlock()
		trimNow()
	})
}

func trimNow() {
	debug.FreeOSMemory()
	traceRSS("before trim")
	defer traceRSS("after trim")
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var start, end uint64
	candidate := false
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && len(fields) >= 5 && !strings.HasSuffix(fields[0], ":") {
			s1, err1 := strconv.ParseUint(lo, 16, 64)
			e1, err2 := strconv.ParseUint(hi, 16, 64)
			perms := fields[1]
			// A file mapping has a path; [vdso] and friends are skipped.
			candidate = err1 == nil && err2 == nil && len(fields) >= 6 &&
				strings.HasPrefix(fields[5], "/") && perms[1] == '-' && perms[3] == 'p'
			start, end = s1, e1
			continue
		}
		if candidate && fields[0] == "Anonymous:" {
			if fields[1] == "0" {
				madvise(start, end-start)
			}
			candidate = false
		}
	}
}

func traceRSS(what string) {
	if !traceOn {
		return
	}
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "RssFile") || strings.HasPrefix(l, "RssAnon") {
			trace(what + " " + strings.Join(strings.Fields(l), " "))
		}
	}
}

func madvise(addr, length uint64) syscall.Errno {
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(addr), uintptr(length), syscall.MADV_DONTNEED)
	if traceOn && e != 0 {
		trace("madvise: " + e.Error())
	}
	return e
}
