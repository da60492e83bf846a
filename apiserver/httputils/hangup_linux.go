package httputils

import (
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// hangupWatch reports when the peer of a hijacked connection goes away
// without consuming any of its stdin bytes: it waits in epoll for EPOLLHUP,
// which the kernel raises only once both directions are shut down (a
// client's half-close for stdin EOF does not trigger it). An eventfd lets
// stop end the wait.
type hangupWatch struct {
	hup      chan struct{} // closed on hangup
	efd      int
	stopOnce sync.Once
	done     chan struct{}
}

func watchHangup(conn net.Conn, onHangup func()) *hangupWatch {
	w := &hangupWatch{hup: make(chan struct{}), efd: -1, done: make(chan struct{})}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		close(w.done)
		return w
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		close(w.done)
		return w
	}
	// Watch a duplicate so the goroutine never holds Go's fd reference.
	dup := -1
	_ = rc.Control(func(fd uintptr) {
		dup, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err != nil || dup < 0 {
		close(w.done)
		return w
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		unix.Close(dup)
		close(w.done)
		return w
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(dup)
		unix.Close(epfd)
		close(w.done)
		return w
	}
	w.efd = efd
	_ = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, dup, &unix.EpollEvent{Events: unix.EPOLLHUP, Fd: int32(dup)})
	_ = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)})
	go func() {
		defer close(w.done)
		defer unix.Close(epfd)
		defer unix.Close(dup)
		events := make([]unix.EpollEvent, 2)
		for {
			n, err := unix.EpollWait(epfd, events, -1)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return
			}
			for _, ev := range events[:n] {
				if ev.Fd == int32(efd) {
					return
				}
			}
			if n > 0 {
				close(w.hup)
				onHangup()
				return
			}
		}
	}()
	return w
}

// stop ends the watch and releases its descriptors; it waits for the
// watcher goroutine so no fd is used after close.
func (w *hangupWatch) stop() {
	w.stopOnce.Do(func() {
		if w.efd >= 0 {
			var one [8]byte
			one[0] = 1
			_, _ = unix.Write(w.efd, one[:])
			<-w.done
			unix.Close(w.efd)
		}
	})
}
