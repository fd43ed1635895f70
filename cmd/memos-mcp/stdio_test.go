package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"
)

// stdioPeer is the client end of a stdio transport under test.
type stdioPeer struct {
	t       *testing.T
	in      *os.File
	out     *bufio.Scanner
	done    chan error
	release chan struct{} // closing it lets the "slow" tool answer
	cancel  context.CancelFunc
}

// startTransport serves a server with two tools, "echo" and "slow" (which waits for release), over
// pipes, with a message limit of maxLine bytes.
func startTransport(t *testing.T, maxLine int) *stdioPeer {
	t.Helper()
	p := &stdioPeer{t: t, done: make(chan error, 1), release: make(chan struct{})}
	s := server.NewMCPServer("test", "1", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo", mcp.WithString("text")), func(_ context.Context, r mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText(r.GetString("text", "")), nil
	})
	s.AddTool(mcp.NewTool("slow"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		select {
		case <-p.release:
			return mcp.NewToolResultText("slow done"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	// A real pipe: the kernel buffers what the test sends, as it does for a client.
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inR.Close() })
	outR, outW := io.Pipe()
	p.in = inW
	p.out = bufio.NewScanner(outR)
	p.out.Buffer(make([]byte, 1<<20), 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	tr := &stdioTransport{server: s, log: zerolog.Nop(), in: bufio.NewReader(inR), maxLine: maxLine,
		out: bufio.NewWriter(outW), readDone: make(chan error, 1)}
	go func() {
		p.done <- tr.listen(ctx)
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		select {
		case <-p.release:
		default:
			close(p.release)
		}
		go io.Copy(io.Discard, outR)
		<-p.done
	})
	return p
}

func (p *stdioPeer) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.in, line); err != nil {
		p.t.Fatalf("write %q: %v", line, err)
	}
}

func (p *stdioPeer) call(id int, tool string, args map[string]any) {
	p.t.Helper()
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args}})
	p.send(string(b) + "\n")
}

// response is the part of a JSON-RPC response the tests look at.
type response struct {
	ID     any `json:"id"`
	Result *struct {
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// next reads one response, failing the test after a few seconds.
func (p *stdioPeer) next() response {
	p.t.Helper()
	got := make(chan response, 1)
	go func() {
		var r response
		if p.out.Scan() {
			if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
				r.ID = fmt.Sprintf("undecodable line %q: %v", p.out.Text(), err)
			}
		} else {
			r.ID = fmt.Sprintf("output ended: %v", p.out.Err())
		}
		got <- r
	}()
	select {
	case r := <-got:
		return r
	case <-time.After(5 * time.Second):
		p.t.Fatal("no response within 5 s")
		return response{}
	}
}

func (r response) text() string {
	if r.Result == nil || len(r.Result.Content) == 0 {
		return ""
	}
	return r.Result.Content[0].Text
}

func TestStdioAnswersInOrderForASequentialClient(t *testing.T) {
	p := startTransport(t, maxStdioLine)
	for i := 1; i <= 50; i++ {
		p.call(i, "echo", map[string]any{"text": fmt.Sprint("n", i)})
		r := p.next()
		if r.ID != float64(i) || r.text() != fmt.Sprint("n", i) {
			t.Fatalf("call %d: got id %v text %q error %+v", i, r.ID, r.text(), r.Error)
		}
	}
}

func TestStdioSlowCallDoesNotHoldUpTheNext(t *testing.T) {
	p := startTransport(t, maxStdioLine)
	p.call(1, "slow", nil)
	p.call(2, "echo", map[string]any{"text": "fast"})
	if r := p.next(); r.ID != float64(2) || r.text() != "fast" {
		t.Fatalf("first answer: want the fast call (id 2), got id %v %q", r.ID, r.text())
	}
	close(p.release)
	if r := p.next(); r.ID != float64(1) || r.text() != "slow done" {
		t.Fatalf("second answer: want the slow call (id 1), got id %v %q", r.ID, r.text())
	}
}

func TestStdioBadInputGetsAnErrorAndTheSessionGoesOn(t *testing.T) {
	p := startTransport(t, 200)
	cases := []struct {
		name, line, wantMessage string
	}{
		{"not JSON", "this is not json\n", "parse error"},
		{"over the size limit", `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":{"text":"` + strings.Repeat("x", 300) + "\"}}}\n", "longer than 200 bytes"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			p.send(tc.line)
			r := p.next()
			if r.Error == nil || r.Error.Code != mcp.PARSE_ERROR || !strings.Contains(r.Error.Message, tc.wantMessage) {
				t.Fatalf("want a parse error mentioning %q, got %+v", tc.wantMessage, r)
			}
			p.call(100+i, "echo", map[string]any{"text": "still here"})
			if r := p.next(); r.ID != float64(100+i) || r.text() != "still here" {
				t.Fatalf("the call after the bad input: got id %v %q %+v", r.ID, r.text(), r.Error)
			}
		})
	}
}

func TestStdioNotificationsAndBlankLinesGetNoAnswer(t *testing.T) {
	p := startTransport(t, maxStdioLine)
	p.send("\n  \n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	p.send(`{"jsonrpc":"2.0","id":"a","result":{}}` + "\n") // a response from the client: dropped
	p.call(7, "echo", map[string]any{"text": "after"})
	if r := p.next(); r.ID != float64(7) || r.text() != "after" {
		t.Fatalf("want only the answer to call 7, got %+v", r)
	}
}

func TestStdioEndOfInputWaitsForCallsInFlight(t *testing.T) {
	p := startTransport(t, maxStdioLine)
	p.call(1, "slow", nil)
	// The last message has no newline: it is still served.
	p.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"last"}}}`)
	p.in.Close()
	if r := p.next(); r.ID != float64(2) || r.text() != "last" {
		t.Fatalf("want the unterminated last call answered, got %+v", r)
	}
	select {
	case err := <-p.done:
		t.Fatalf("transport ended (%v) with a call still in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(p.release)
	if r := p.next(); r.ID != float64(1) || r.text() != "slow done" {
		t.Fatalf("want the slow call answered before the end, got %+v", r)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("transport ended with %v, want nil at end of input", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("transport did not end after its input did")
	}
	p.done <- nil // for the cleanup
}

func TestStdioStopsWhenCancelledWhileReading(t *testing.T) {
	p := startTransport(t, maxStdioLine)
	p.call(1, "echo", map[string]any{"text": "x"})
	p.next()
	p.cancel() // the reader is blocked on the pipe, which stays open
	select {
	case err := <-p.done:
		if err == nil || !strings.Contains(err.Error(), "canceled") {
			t.Fatalf("want context canceled, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("transport did not stop on cancel")
	}
	p.done <- nil
}

// TestStdioRequestLogOnlyAtDebug: mcp-go's per-request log lines cost two writes per call, so they
// are written at --log-level debug only. The line is written before the answer, so it reaches the
// client's copy of stderr shortly after the answer does.
func TestStdioRequestLogOnlyAtDebug(t *testing.T) {
	for _, tc := range []struct {
		level string
		want  bool
	}{{"info", false}, {"debug", true}} {
		t.Run(tc.level, func(t *testing.T) {
			c, stderr := startStdio(t, t.TempDir(), "MEMOS_LOG_LEVEL="+tc.level)
			defer c.Close()
			call(t, c, "get_memory", map[string]any{"user_id": "u"}, nil)
			got := false
			for deadline := time.Now().Add(time.Second); !got && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				got = strings.Contains(stderr.String(), "mcp.request")
			}
			if got != tc.want {
				t.Fatalf("--log-level %s: request log written: %v, want %v\n%s", tc.level, got, tc.want, stderr)
			}
		})
	}
}
