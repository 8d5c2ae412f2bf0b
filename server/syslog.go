package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-dev/vigil/ingest"
	"github.com/vigil-dev/vigil/store"
	"github.com/vigil-dev/vigil/syslog"
)

// Bounds of the syslog receiver.
const (
	// syslogBatch bounds the messages one store submission holds.
	syslogBatch = 4096
	// syslogInFlight bounds the submissions waiting for the disk; beyond
	// it the receivers wait, and so (for TCP) do the senders.
	syslogInFlight = 8
	// maxSyslogConns bounds the open TCP connections.
	maxSyslogConns = 4096
	// A stop goes on reading the connections (and the UDP sockets) it has
	// until they are quiet for drainIdle, for drainMax at most: what
	// their senders wrote before the stop is in the kernel's buffers, and
	// is read and stored.
	drainIdle = 250 * time.Millisecond
	drainMax  = 10 * time.Second
)

// syslogReceiver gathers the messages of every syslog listener into
// batches for the store. Syslog has no acknowledgement: a message counts
// as accepted once read, and Close stores everything accepted.
type syslogReceiver struct {
	s    *Server
	in   chan syslogItem
	done chan struct{}
	seq  atomic.Uint64

	draining  atomic.Bool  // close has begun
	drainEnd  atomic.Int64 // when reading stops at the latest (Unix ns)
	mu        sync.Mutex
	closed    bool
	listeners map[io.Closer]struct{} // listeners and connections, closed by close
	readers   sync.WaitGroup         // goroutines that read listeners
	conns     sync.WaitGroup         // goroutines that read TCP connections
}

type syslogItem struct {
	p       store.Prepared
	arrived time.Time
}

func newSyslogReceiver(s *Server) *syslogReceiver {
	r := &syslogReceiver{s: s, in: make(chan syslogItem, syslogBatch), done: make(chan struct{}), listeners: map[io.Closer]struct{}{}}
	go r.run()
	return r
}

// track registers something close must close, and adds n to wg (the
// goroutines that will read it); false when closing already.
func (r *syslogReceiver) track(c io.Closer, wg *sync.WaitGroup, n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.listeners[c] = struct{}{}
	wg.Add(n)
	return true
}

func (r *syslogReceiver) untrack(c io.Closer) {
	r.mu.Lock()
	delete(r.listeners, c)
	r.mu.Unlock()
}

// close stops accepting connections, reads what the open connections and
// the UDP sockets hold for drainGrace more, waits for their readers, and
// stores everything read.
func (r *syslogReceiver) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return nil
	}
	r.closed = true
	r.drainEnd.Store(time.Now().Add(drainMax).UnixNano())
	r.draining.Store(true)
	deadline := r.drainDeadline()
	for c := range r.listeners {
		switch c := c.(type) {
		case net.Listener:
			_ = c.Close()
		case net.PacketConn:
			_ = c.SetReadDeadline(deadline)
		case net.Conn:
			_ = c.SetReadDeadline(deadline)
		default:
			_ = c.Close()
		}
	}
	r.mu.Unlock()
	r.readers.Wait()
	r.conns.Wait()
	close(r.in)
	<-r.done
	return nil
}

// run gathers messages into batches and submits them; the store's group
// commit combines batches in flight.
func (r *syslogReceiver) run() {
	defer close(r.done)
	slots := make(chan struct{}, syslogInFlight)
	var wg sync.WaitGroup
	for it := range r.in {
		items := []syslogItem{it}
	gather:
		for len(items) < syslogBatch {
			select {
			case more, ok := <-r.in:
				if !ok {
					break gather
				}
				items = append(items, more)
			default:
				break gather
			}
		}
		prepared := make([]store.Prepared, len(items))
		for i, it := range items {
			prepared[i] = it.p
		}
		slots <- struct{}{}
		p, err := r.s.st.Submit(context.Background(), prepared)
		if err != nil {
			<-slots
			r.s.log.Error("syslog: store messages", "messages", len(items), "err", err)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			res, err := p.Wait(context.Background())
			if err != nil {
				r.s.log.Error("syslog: store messages", "messages", len(items), "err", err)
				return
			}
			m := r.s.metrics
			m.stored[inputSyslog].Add(uint64(res.Stored))
			m.duplicates[inputSyslog].Add(uint64(res.Dups))
			now := time.Now()
			for _, it := range items {
				m.latency[inputSyslog].observe(now.Sub(it.arrived).Seconds())
			}
		}()
	}
	wg.Wait()
}

// accept maps, normalises and prepares one message and hands it to the
// batcher.
func (r *syslogReceiver) accept(raw []byte, peer, transport string) {
	s := r.s
	arrived := time.Now()
	ev := syslog.Event(raw, syslog.Received{
		Time: s.clock(), Peer: peer, Transport: transport, Seq: r.seq.Add(1), Location: s.opts.SyslogLocation,
	})
	s.cat.Normalize(ev)
	p, err := s.st.Prepare(ev)
	if err != nil {
		r.reject(peer, transport, raw, err.Error())
		return
	}
	r.in <- syslogItem{p: p, arrived: arrived}
}

func (r *syslogReceiver) reject(peer, transport string, raw []byte, reason string) {
	r.s.metrics.rejected[inputSyslog].Add(1)
	if r.s.opts.OnReject != nil {
		r.s.opts.OnReject(ingest.Reject{Source: "syslog/" + transport + " from " + peer, Line: 0, Reason: reason, Raw: raw})
	}
}

// ServeSyslogUDP reads syslog messages, one a datagram, from pc until the
// server closes (Close) or pc fails. It returns nil after Close.
func (s *Server) ServeSyslogUDP(pc net.PacketConn) error {
	r := s.syslog
	// Several readers: mapping a message takes longer than reading it.
	n := min(4, runtime.GOMAXPROCS(0))
	if !r.track(pc, &r.readers, n) {
		return net.ErrClosed
	}
	defer r.untrack(pc)
	errs := make(chan error, n)
	for range n {
		go func() {
			defer r.readers.Done()
			buf := make([]byte, 65536)
			for {
				k, addr, err := pc.ReadFrom(buf)
				if err != nil {
					if errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded) && r.closing() {
						errs <- nil
					} else {
						errs <- fmt.Errorf("syslog udp: %w", err)
					}
					return
				}
				if r.closing() {
					_ = pc.SetReadDeadline(r.drainDeadline())
				}
				if k == 0 {
					continue
				}
				raw := append([]byte(nil), buf[:k]...)
				r.accept(raw, addr.String(), "udp")
			}
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
			_ = pc.Close()
		}
	}
	_ = pc.Close()
	return first
}

// closing reports whether close has begun.
func (r *syslogReceiver) closing() bool { return r.draining.Load() }

// drainDeadline is when a reader that is draining gives up waiting: after
// drainIdle without data, and at drainMax after the stop began.
func (r *syslogReceiver) drainDeadline() time.Time {
	d := time.Now().Add(drainIdle)
	if end := time.Unix(0, r.drainEnd.Load()); end.Before(d) {
		return end
	}
	return d
}

// ServeSyslogTCP accepts connections on ln and reads syslog messages from
// each, framed by octet counting or line feeds (RFC 6587, told per
// connection), until the server closes (Close) or ln fails. transport
// names the listener in events and rejects: "tcp" or "tls".
func (s *Server) ServeSyslogTCP(ln net.Listener, transport string) error {
	r := s.syslog
	if !r.track(ln, &r.readers, 1) {
		return net.ErrClosed
	}
	defer r.untrack(ln)
	defer r.readers.Done()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return fmt.Errorf("syslog %s: %w", transport, err)
		}
		if s.metrics.SyslogConnections.Load() >= maxSyslogConns || !r.track(conn, &r.conns, 1) {
			s.log.Warn("syslog: connection refused", "remote", conn.RemoteAddr().String(), "open", s.metrics.SyslogConnections.Load())
			_ = conn.Close()
			continue
		}
		s.metrics.SyslogConnections.Add(1)
		go func() {
			defer r.conns.Done()
			defer s.metrics.SyslogConnections.Add(-1)
			defer r.untrack(conn)
			defer conn.Close()
			r.readConn(conn, transport)
		}()
	}
}

func (r *syslogReceiver) readConn(conn net.Conn, transport string) {
	peer := conn.RemoteAddr().String()
	sc := syslog.NewScanner(conn, r.s.opts.MaxEventSize)
	for {
		f, err := sc.Next()
		if r.closing() {
			_ = conn.SetReadDeadline(r.drainDeadline())
		}
		switch {
		case err == nil && f.Truncated:
			r.reject(peer, transport, append([]byte(nil), f.Data...),
				fmt.Sprintf("message is %d bytes, larger than the limit of %d; its first %d bytes are kept here", f.Size, r.s.opts.MaxEventSize, len(f.Data)))
		case err == nil:
			r.accept(append([]byte(nil), f.Data...), peer, transport)
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.reject(peer, transport, append([]byte(nil), f.Data...),
				fmt.Sprintf("the connection closed inside a message (%d bytes of it read)", f.Size))
			return
		case errors.Is(err, syslog.ErrFraming):
			r.s.log.Warn("syslog: closing a connection out of step", "remote", peer, "err", err)
			return
		default:
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
				r.s.log.Debug("syslog: connection ended", "remote", peer, "err", err)
			}
			return
		}
	}
}
