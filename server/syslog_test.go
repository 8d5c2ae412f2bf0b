package server_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/engine"
	"github.com/vigil-dev/vigil/event"
	"github.com/vigil-dev/vigil/server"
)

func startSyslog(t *testing.T, mod func(*server.Config)) *fixture {
	return start(t, func(c *server.Config) {
		c.SyslogAddr = "127.0.0.1:0"
		c.SyslogLocation = time.UTC
		if mod != nil {
			mod(c)
		}
	})
}

// storedN waits until n events are stored and returns them in seq order.
func (f *fixture) storedN(n int) []*event.Event {
	f.t.Helper()
	waitFor(f.t, fmt.Sprintf("%d events stored", n), func() bool { return f.eng.Store().Head().Seq >= uint64(n) })
	evs := f.stored()
	if len(evs) != n {
		f.t.Fatalf("%d events stored, want %d", len(evs), n)
	}
	return evs
}

func byMessage(evs []*event.Event) map[string]*event.Event {
	m := map[string]*event.Event{}
	for _, ev := range evs {
		m[ev.Message] = ev
	}
	return m
}

func TestSyslogUDP(t *testing.T) {
	f := startSyslog(t, nil)
	conn, err := net.Dial("udp", f.in.Addrs().SyslogUDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := []string{
		`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] ` + "\xEF\xBB\xBFAn application event log entry",
		"<38>Jan  5 03:04:05 bastion sshd[4242]: Failed password for root from 203.0.113.9 port 22 ssh2\n",
		`<13>1 2025-01-15T14:30:00Z h app - - - {"event_id":"evt_udp","timestamp":"2025-01-15T14:30:00Z","event_type":"login.failed"}`,
	}
	for _, m := range msgs {
		if _, err := conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	evs := byMessage(f.storedN(3))
	e := evs["An application event log entry"]
	if e == nil || e.Type != "ID47" || e.Source != "syslog" || e.Severity != "low" || !e.Time.Equal(time.Date(2003, 10, 11, 22, 14, 15, 3e6, time.UTC)) ||
		e.Details["transport"] != "udp" || !strings.HasPrefix(e.Details["peer"].(string), "127.0.0.1:") {
		t.Fatalf("RFC 5424: %+v", e)
	}
	e = evs["Failed password for root from 203.0.113.9 port 22 ssh2"]
	if e == nil || e.Type != "sshd" || e.Details["hostname"] != "bastion" || e.Details["facility"] != "auth" || e.Time.Month() != time.January || e.Time.Day() != 5 {
		t.Fatalf("RFC 3164: %+v", e)
	}
	var native *event.Event
	for _, ev := range evs {
		if ev.ID == "evt_udp" {
			native = ev
		}
	}
	if native == nil || native.Type != "login.failed" || native.Category != "authentication" || native.Format != "syslog" {
		t.Fatalf("JSON payload: %+v", evs)
	}
}

func TestSyslogTCPOctetCountingMultiByte(t *testing.T) {
	f := startSyslog(t, nil)
	conn, err := net.Dial("tcp", f.in.Addrs().SyslogTCP.String())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Grüße aus Köln, 世界 🎉",
		"two\nlines in one message",
		"ß",
	}
	var stream strings.Builder
	for i, m := range want {
		msg := fmt.Sprintf("<14>1 2025-01-15T14:30:0%dZ host app - - - %s", i, m)
		// The length counts bytes, not characters.
		fmt.Fprintf(&stream, "%d %s", len(msg), msg)
	}
	// Sent in pieces that cut through multi-byte characters.
	data := []byte(stream.String())
	for i := 0; i < len(data); i += 7 {
		if _, err := conn.Write(data[i:min(i+7, len(data))]); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	evs := f.storedN(3)
	for i, ev := range evs {
		if ev.Message != want[i] || ev.Details["transport"] != "tcp" {
			t.Fatalf("message %d: %q, want %q", i, ev.Message, want[i])
		}
	}
}

func TestSyslogTCPLineFramingRFC3164(t *testing.T) {
	f := startSyslog(t, nil)
	conn, err := net.Dial("tcp", f.in.Addrs().SyslogTCP.String())
	if err != nil {
		t.Fatal(err)
	}
	stream := "<86>Jan 15 11:59:00 bastion sudo[17]: ana : TTY=pts/0 ; COMMAND=/bin/sh\r\n" +
		"<13>Jan 15 11:59:01 bastion cron: tick\n\n" +
		"<11>Jan 15 11:59:02 bastion kernel: last line without a line feed"
	if _, err := conn.Write([]byte(stream)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	evs := f.storedN(3)
	if e := evs[0]; e.Type != "sudo" || e.Message != "ana : TTY=pts/0 ; COMMAND=/bin/sh" || e.Details["facility"] != "authpriv" || e.Details["proc_id"] != "17" {
		t.Fatalf("%+v", e)
	}
	if e := evs[2]; e.Severity != "high" || e.Message != "last line without a line feed" {
		t.Fatalf("%+v", e)
	}
}

func TestSyslogTooLargeIsRejectedAndTheStreamGoesOn(t *testing.T) {
	f := startSyslog(t, func(c *server.Config) { c.MaxEventSize = 64 })
	conn, err := net.Dial("tcp", f.in.Addrs().SyslogTCP.String())
	if err != nil {
		t.Fatal(err)
	}
	big := "<13>Jan 15 11:59:00 h app: " + strings.Repeat("x", 200)
	fmt.Fprintf(conn, "<13>Jan 15 11:59:00 h app: before\n%s\n<13>Jan 15 11:59:01 h app: after\n", big)
	conn.Close()
	evs := f.storedN(2)
	if evs[0].Message != "before" || evs[1].Message != "after" {
		t.Fatalf("%q %q", evs[0].Message, evs[1].Message)
	}
	waitFor(t, "the reject", func() bool { return len(f.rejected()) == 1 })
	r := f.rejected()[0]
	if string(r.Raw) != big[:64] || !strings.Contains(r.Reason, "larger than the limit of 64") || !strings.HasPrefix(r.Source, "syslog/tcp from 127.0.0.1:") {
		t.Fatalf("%+v", r)
	}
}

func TestSyslogOctetCountingOutOfStepClosesTheConnection(t *testing.T) {
	f := startSyslog(t, nil)
	conn, err := net.Dial("tcp", f.in.Addrs().SyslogTCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "19 <13>1 - - - - - - a<13>not counted")
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection stayed open")
	}
	if evs := f.storedN(1); evs[0].Message != "a" {
		t.Fatalf("%+v", evs[0])
	}
}

func TestSyslogShutdownStoresEverythingReceived(t *testing.T) {
	dir := t.TempDir()
	eng, err := engine.Open(dir, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	in, err := server.Start(eng, server.Config{SyslogAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", in.Addrs().SyslogTCP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, "the connection to be accepted", func() bool {
		return in.Server.Metrics().SyslogConnections.Load() == 1
	})
	udp, err := net.Dial("udp", in.Addrs().SyslogUDP.String())
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	const n, datagrams = 20000, 100
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "<13>Jan 15 11:59:00 h app: message %d\n", i)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	for i := range datagrams {
		fmt.Fprintf(udp, "<13>Jan 15 11:59:00 h app: datagram %d", i)
	}
	// Stop at once, the connection still open: what its sender wrote,
	// and the datagrams sent, are stored all the same.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := in.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := eng.Store().Head().Seq; got != n+datagrams {
		t.Fatalf("%d stored, want %d", got, n+datagrams)
	}
}

func TestSyslogOverTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	f := start(t, func(c *server.Config) {
		c.SyslogTLSAddr = "127.0.0.1:0"
		c.TLSCert, c.TLSKey = certFile, keyFile
	})
	conn, err := tls.Dial("tcp", f.in.Addrs().SyslogTLS.String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	msg := "<13>1 2025-01-15T14:30:00Z h app - - - über TLS"
	fmt.Fprintf(conn, "%d %s", len(msg), msg)
	conn.Close()
	evs := f.storedN(1)
	if evs[0].Message != "über TLS" || evs[0].Details["transport"] != "tls" {
		t.Fatalf("%+v", evs[0])
	}
	// Plain text on the TLS port stores nothing.
	plain, err := net.Dial("tcp", f.in.Addrs().SyslogTLS.String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(plain, "%d %s", len(msg), msg)
	plain.Close()
	time.Sleep(200 * time.Millisecond)
	if n := f.eng.Store().Head().Seq; n != 1 {
		t.Fatalf("%d stored", n)
	}
}
