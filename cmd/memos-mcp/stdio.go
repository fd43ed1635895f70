package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"
)

// stdioTransport serves MCP over newline-delimited JSON-RPC on a pipe.
//
// mcp-go's StdioServer passes every message through three goroutines (a reader per line, the read
// loop, a worker pool) and parses it five times; on two cores those hand-offs cost ~0.1 ms per call,
// a fifth of storing a memory. Here the goroutine that reads a message also serves it, with no
// hand-off, and a new reader takes over the input only when a call runs past handOffAfter, so a
// slow chat still never holds up the calls pipelined behind it.
type stdioTransport struct {
	server  *server.MCPServer
	log     zerolog.Logger
	in      *bufio.Reader
	maxLine int // bytes; a longer message is answered with a parse error and skipped

	writeMu sync.Mutex
	out     *bufio.Writer

	calls    callTracker // messages being served
	readDone chan error  // the input ended (nil) or failed
}

// callTracker counts the messages being served and, once closed, admits no more: shutdown waits
// for the calls in flight without racing a reader that is still blocked on the pipe.
type callTracker struct {
	mu     sync.Mutex
	idle   *sync.Cond
	n      int
	closed bool
}

func (c *callTracker) begin() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.n++
	return true
}

func (c *callTracker) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n--; c.n == 0 && c.idle != nil {
		c.idle.Broadcast()
	}
}

// closeAndWait stops admitting calls and waits for the ones in flight.
func (c *callTracker) closeAndWait() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.idle == nil {
		c.idle = sync.NewCond(&c.mu)
	}
	for c.n > 0 {
		c.idle.Wait()
	}
}

// maxStdioLine bounds one JSON-RPC message.
const maxStdioLine = 64 << 20

func serveStdio(ctx context.Context, s *server.MCPServer, stdin io.Reader, stdout io.Writer, logger zerolog.Logger) error {
	t := &stdioTransport{server: s, log: logger, in: bufio.NewReaderSize(stdin, 64<<10), maxLine: maxStdioLine,
		out: bufio.NewWriterSize(stdout, 64<<10), readDone: make(chan error, 1)}
	err := t.listen(ctx)
	if err == nil || errors.Is(err, context.Canceled) {
		logger.Info().Msg("memos-mcp stopped")
		return nil
	}
	return fmt.Errorf("stdio transport: %w", err)
}

// stdioSession is the one client on the other end of the pipe.
type stdioSession struct {
	notifications chan mcp.JSONRPCNotification
	initialized   atomic.Bool
}

func (s *stdioSession) SessionID() string { return "stdio" }
func (s *stdioSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.notifications
}
func (s *stdioSession) Initialize()       { s.initialized.Store(true) }
func (s *stdioSession) Initialized() bool { return s.initialized.Load() }

// listen serves until the input ends or ctx is cancelled (SIGTERM), then waits for the calls in
// flight to answer.
func (t *stdioTransport) listen(ctx context.Context) error {
	session := &stdioSession{notifications: make(chan mcp.JSONRPCNotification, 100)}
	if err := t.server.RegisterSession(ctx, session); err != nil {
		return fmt.Errorf("register session: %w", err)
	}
	defer t.server.UnregisterSession(ctx, session.SessionID())
	ctx, cancel := context.WithCancel(t.server.WithContext(ctx, session))
	defer cancel()

	notified := make(chan struct{})
	go func() {
		defer close(notified)
		for {
			select {
			case n := <-session.notifications:
				t.write(n)
			case <-ctx.Done():
				return
			}
		}
	}()

	// A read blocked on the pipe is left behind when ctx ends: the process is about to exit.
	go t.serveNext(ctx)
	var err error
	select {
	case err = <-t.readDone:
	case <-ctx.Done():
		err = ctx.Err()
	}
	t.calls.closeAndWait()
	cancel()
	<-notified
	return err
}

// serveNext reads and serves messages one after another on this goroutine: a sequential client,
// the common case, is answered with no hand-off between goroutines. When a call is still running
// after handOffAfter, a new reader takes over the input, so a slow call (a chat waiting on the
// model) never holds up the calls sent behind it; this goroutine then ends with its call.
func (t *stdioTransport) serveNext(ctx context.Context) {
	for {
		line, err := readLine(t.in, t.maxLine)
		if errors.Is(err, errTooLong) {
			t.write(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.PARSE_ERROR,
				fmt.Sprintf("message skipped: longer than %d bytes; send smaller messages (split long conversations over several add_message calls)", t.maxLine), nil))
			continue
		}
		if err != nil {
			if len(bytes.TrimSpace(line)) > 0 && t.calls.begin() {
				t.serve(ctx, line) // the last message may lack its newline
				t.calls.end()
			}
			if errors.Is(err, io.EOF) {
				err = nil
			}
			t.readDone <- err
			return
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !t.calls.begin() {
			return // shutting down
		}
		var reading atomic.Bool // who reads next: this goroutine or a new one
		handOff := time.AfterFunc(handOffAfter, func() {
			if reading.CompareAndSwap(false, true) {
				go t.serveNext(ctx)
			}
		})
		t.serve(ctx, line)
		handOff.Stop()
		t.calls.end()
		if !reading.CompareAndSwap(false, true) {
			return
		}
	}
}

// handOffAfter is how long a call may hold the input before the next message is read elsewhere.
const handOffAfter = 2 * time.Millisecond

// errTooLong reports a message over the size limit; it has been skipped.
var errTooLong = errors.New("message too long")

// readLine returns the next line without its line ending. A line over max bytes is skipped and
// reported as errTooLong.
func readLine(in *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := in.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = in.ReadSlice('\n')
			}
			if err == nil {
				err = errTooLong
			}
			return nil, err
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return bytes.TrimRight(line, "\r\n"), err
		}
	}
}

// serve answers one message: a request gets a response, a notification none, and a response from
// the client (we send it no requests) is dropped.
func (t *stdioTransport) serve(ctx context.Context, line []byte) {
	var head struct {
		Method string `json:"method"`
	}
	if err := json.Unmarshal(line, &head); err != nil {
		t.write(mcp.NewJSONRPCError(mcp.NewRequestId(nil), mcp.PARSE_ERROR,
			"parse error: each line must be one JSON-RPC message (JSON object) ending in a newline", nil))
		return
	}
	if head.Method == "" {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			t.log.Error().Interface("panic", r).Str("method", head.Method).Msg("stdio: a handler panicked")
		}
	}()
	if resp := t.server.HandleMessage(ctx, line); resp != nil {
		t.write(resp)
	}
}

// write sends one message; writes from concurrent calls are serialized whole.
func (t *stdioTransport) write(msg any) {
	b, err := json.Marshal(msg)
	if err != nil {
		t.log.Error().Err(err).Msg("stdio: encode a response")
		return
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	t.out.Write(b)
	t.out.WriteByte('\n')
	if err := t.out.Flush(); err != nil {
		t.log.Error().Err(err).Msg("stdio: write a response")
	}
}
