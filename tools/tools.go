// Package tools adapts the memory core to MCP: one file per tool holds its input struct (which is
// its schema), its result and its handler. Handlers decode, call memstore, and return structured
// content with a short readable text; every failure is a tool error a model can read and act on.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/prompts"
)

// Core is what the tools need from the memory core.
type Core interface {
	AddMessages(context.Context, memstore.AddRequest) (memstore.AddResult, error)
	Search(context.Context, memstore.SearchRequest) (memstore.SearchResult, error)
	List(context.Context, memstore.ListRequest) (memstore.ListResult, error)
	Delete(context.Context, memstore.DeleteRequest) (memstore.DeleteResult, error)
	Feedback(context.Context, memstore.FeedbackRequest) (memstore.FeedbackResult, error)
	Chat(context.Context, memstore.ChatRequest) (memstore.ChatResult, error)
	GetTask(context.Context, string) (memstore.Task, error)
}

var _ Core = (*memstore.Core)(nil)

// Options configure the MCP server.
type Options struct {
	// Name and Version are reported to clients at initialisation.
	Name, Version string
	// DefaultUserID is used when a call omits user_id.
	DefaultUserID string
	Log           zerolog.Logger
	// ValidateOutput checks every result against its tool's output schema (tests turn it on).
	ValidateOutput bool
	// Observe, when set, is told of every tool call: how long it took and whether it failed
	// (metrics).
	Observe func(tool string, took time.Duration, failed bool)
}

// DefaultUser is the user id used when neither the call nor the configuration names one.
const DefaultUser = "default"

// NewServer returns an MCP server offering the six memory tools over core.
func NewServer(core Core, opts Options) *server.MCPServer {
	if opts.DefaultUserID == "" {
		opts.DefaultUserID = DefaultUser
	}
	if opts.Name == "" {
		opts.Name = "memos-mcp"
	}
	serverOpts := []server.ServerOption{
		server.WithToolCapabilities(false),
		server.WithInstructions(prompts.Instructions()),
		server.WithRecovery(),
	}
	// mcp-go's request log writes two info lines per call; on a pipe that is two more writes (and
	// two wake-ups of the client reading our stderr) for every store. It is kept for --log-level
	// debug, next to our own per-call debug line.
	if opts.Log.Debug().Enabled() {
		serverOpts = append(serverOpts, server.WithLogger(slog.New(zerolog.NewSlogHandler(opts.Log))))
	}
	if opts.ValidateOutput {
		serverOpts = append(serverOpts, server.WithOutputSchemaValidation())
	}
	s := server.NewMCPServer(opts.Name, opts.Version, serverOpts...)
	s.AddTools(All(core, opts)...)
	return s
}

// All returns the tool definitions with their handlers, in the order they are listed.
func All(core Core, opts Options) []server.ServerTool {
	d := deps{core: core, defaultUser: opts.DefaultUserID, log: opts.Log, observe: opts.Observe}
	if d.observe == nil {
		d.observe = func(string, time.Duration, bool) {}
	}
	if d.defaultUser == "" {
		d.defaultUser = DefaultUser
	}
	return []server.ServerTool{
		addMessageTool(d),
		searchMemoryTool(d),
		getMemoryTool(d),
		deleteMemoryTool(d),
		addFeedbackTool(d),
		chatTool(d),
		getTaskStatusTool(d),
	}
}

type deps struct {
	core        Core
	defaultUser string
	log         zerolog.Logger
	observe     func(tool string, took time.Duration, failed bool)
}

// user returns the user id of a call. A call that names none acts as the one user its API key is
// for, or else as the configured default user.
func (d deps) user(ctx context.Context, id string) string {
	if id != "" {
		return id
	}
	if a, ok := memstore.AccessFrom(ctx); ok {
		if u, ok := a.OnlyUser(); ok {
			return u
		}
	}
	return d.defaultUser
}

// annotations states what a tool does to the world. All four hints are always set, because
// mcp-go's defaults (destructive, open-world) are wrong for most memory tools.
type annotations struct {
	title                                  string
	readOnly, destructive, idempotent, ext bool
}

func (a annotations) option() mcp.ToolOption {
	return mcp.WithToolAnnotation(mcp.ToolAnnotation{
		Title:           a.title,
		ReadOnlyHint:    &a.readOnly,
		DestructiveHint: &a.destructive,
		IdempotentHint:  &a.idempotent,
		OpenWorldHint:   &a.ext,
	})
}

// define builds a tool: its schemas come from In and Out, its handler decodes In, runs fn and
// renders the result with text.
func define[In, Out any](name, description string, ann annotations, props map[string]prop, d deps,
	fn func(context.Context, In) (Out, error), text func(Out) string) server.ServerTool {
	tool := mcp.NewTool(name,
		mcp.WithDescription(description),
		mcp.WithRawInputSchema(inputSchema[In](props)),
		mcp.WithRawOutputSchema(outputSchema[Out]()),
		ann.option(),
	)
	tool.Title = ann.title
	tool.InputSchema.Type = "" // NewTool presets it; the raw schema replaces it

	handler := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		var in In
		raw, err := rawArguments(req)
		if err == nil {
			err = decodeArgs(raw, &in)
		}
		var out Out
		if err == nil {
			out, err = fn(ctx, in)
		}
		took := time.Since(start)
		d.observe(name, took, err != nil)
		if err != nil {
			return d.toolError(name, err, took), nil
		}
		d.log.Debug().Str("tool", name).Dur("took", took).Msg("tool call")
		return mcp.NewToolResultStructured(out, text(out)), nil
	}
	return server.ServerTool{Tool: tool, Handler: handler}
}

// rawArguments returns the call's arguments as JSON.
func rawArguments(req mcp.CallToolRequest) ([]byte, error) {
	if len(req.Params.RawArguments) > 0 {
		return req.Params.RawArguments, nil
	}
	if req.Params.Arguments == nil {
		return nil, nil
	}
	b, err := json.Marshal(req.Params.Arguments)
	if err != nil {
		return nil, memstore.Invalid("arguments", "could not be read", "send the arguments as a JSON object")
	}
	return b, nil
}

// toolError turns an error into a tool result the caller can read. Errors the caller can fix say
// what to fix; internal failures are logged in full and reported briefly.
func (d deps) toolError(tool string, err error, took time.Duration) *mcp.CallToolResult {
	var msg string
	switch {
	case errors.Is(err, memstore.ErrInvalid):
		msg = "Invalid argument: " + err.Error()
		d.log.Debug().Str("tool", tool).Err(err).Msg("rejected tool call")
	case errors.Is(err, memstore.ErrForbidden):
		msg = "Forbidden: " + err.Error()
		d.log.Info().Str("tool", tool).Err(err).Msg("tool call refused")
	case errors.Is(err, memstore.ErrUnavailable), errors.Is(err, memstore.ErrNotFound), errors.Is(err, memstore.ErrEmbedderMismatch):
		msg = err.Error()
		d.log.Info().Str("tool", tool).Err(err).Msg("tool call could not be served")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		msg = "The request was cancelled or timed out before it finished; nothing was half-written. Try again."
		d.log.Warn().Str("tool", tool).Err(err).Dur("took", took).Msg("tool call cancelled")
	default:
		msg = fmt.Sprintf("memos-mcp could not complete %s: %v. Nothing was half-written; try again, and report it if it persists.", tool, err)
		d.log.Error().Str("tool", tool).Err(err).Dur("took", took).Msg("tool call failed")
	}
	return mcp.NewToolResultError(msg)
}

// parseOptionalTime parses a time argument that may be empty.
func parseOptionalTime(field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return memstore.ParseTime(field, s)
}

// messageInput is a chat message as tools receive it.
type messageInput struct {
	Role     string `json:"role" jsonschema:"Who said it: user, assistant or system."`
	Content  string `json:"content" jsonschema:"What was said."`
	ChatTime string `json:"chat_time,omitempty" jsonschema:"When it was said: RFC 3339 or 2025-12-02 10:10:10 (UTC). Defaults to now."`
	// MemOS clients send these OpenAI-style fields; they are accepted and not used.
	MessageID string `json:"message_id,omitempty" jsonschema:"Accepted for MemOS compatibility; not used."`
	Name      string `json:"name,omitempty" jsonschema:"Accepted for MemOS compatibility; not used."`
}

// messages converts messageInputs, parsing times; field names the list in errors.
func messages(field string, in []messageInput) ([]memstore.Message, error) {
	out := make([]memstore.Message, len(in))
	for i, m := range in {
		t, err := parseOptionalTime(fmt.Sprintf("%s[%d].chat_time", field, i), m.ChatTime)
		if err != nil {
			return nil, err
		}
		out[i] = memstore.Message{Role: m.Role, Content: m.Content, ChatTime: t}
	}
	return out, nil
}

// snippet shortens a memory's text for the readable summary.
func snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) > 160 {
		return string(r[:160]) + "…"
	}
	return s
}

// plural returns "1 memory" / "2 memories".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// notes renders result notes as trailing lines.
func notes(ns []string) string {
	var b strings.Builder
	for _, n := range ns {
		b.WriteString("\nNote: ")
		b.WriteString(n)
	}
	return b.String()
}
