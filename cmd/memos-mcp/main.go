// Command memos-mcp is an MCP server that gives AI agents long-term memory.
//
//	memos-mcp [serve] [flags]   run the server (stdio by default)
//	memos-mcp reindex [flags]   re-embed every memory with the configured embedder
//	memos-mcp eval [flags]      score recall on the evaluation set
//	memos-mcp export|import     move every memory, with vectors and history, through a JSONL file
//	memos-mcp migrate           copy every memory between the embedded store and Qdrant
//	memos-mcp version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	// A client that closes its end of stderr (some do on shutdown) must not kill the server with
	// SIGPIPE while it logs its last lines; the failed write is simply dropped.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes a command line and returns the exit code. Only the stdio transport writes to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !isFlag(args[0]) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "reindex", "eval", "export", "import", "migrate", "bench":
		cfg, err := parseConfig(cmd, args, getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if err != nil {
			fmt.Fprintln(stderr, "memos-mcp:", err)
			return 2
		}
		switch cmd {
		case "reindex":
			err = reindex(ctx, cfg, stderr)
		case "eval":
			err = runEval(ctx, cfg, stdout, stderr)
		case "export":
			err = runExport(ctx, cfg, stdout, stderr)
		case "import":
			err = runImport(ctx, cfg, stdin, stderr)
		case "migrate":
			err = runMigrate(ctx, cfg, stderr)
		case "bench":
			err = runBench(ctx, cfg, stdout, stderr)
		default:
			err = serve(ctx, cfg, stdin, stdout, stderr)
		}
		if err != nil {
			fmt.Fprintln(stderr, "memos-mcp:", err)
			return 1
		}
		return 0
	case "version":
		fmt.Fprintln(stdout, "memos-mcp", version)
		return 0
	case "help":
		_, _ = parseConfig("serve", []string{"--help"}, getenv, stderr)
		return 0
	default:
		fmt.Fprintf(stderr, "memos-mcp: unknown command %q; commands are serve (the default), reindex, eval, export, import, migrate, bench and version\n", cmd)
		return 2
	}
}

func isFlag(s string) bool { return len(s) > 0 && s[0] == '-' }
