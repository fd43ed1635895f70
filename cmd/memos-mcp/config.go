package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// config is everything the server is told at start-up, from flags and environment variables.
// An explicit flag wins over its environment variable, which wins over the default.
type config struct {
	Transport       string
	Addr            string
	Insecure        bool
	DataDir         string
	UserID          string
	LogLevel        string
	LogFormat       string
	ShutdownTimeout time.Duration
}

// setting describes one flag and the environment variable that can also set it.
type setting struct {
	flag, env, usage string
}

var settings = []setting{
	{"transport", "MEMOS_TRANSPORT", "how clients connect: stdio (one client, the default) or http (streamable HTTP at /mcp)"},
	{"addr", "MEMOS_ADDR", "host:port to listen on with --transport http"},
	{"insecure", "MEMOS_INSECURE", "allow listening on a non-loopback address (there is no authentication yet)"},
	{"data-dir", "MEMOS_DATA_DIR", "directory of the embedded store"},
	{"user", "MEMOS_USER_ID", "user id for calls that omit user_id"},
	{"log-level", "MEMOS_LOG_LEVEL", "debug, info, warn or error"},
	{"log-format", "MEMOS_LOG_FORMAT", "json or console (default: console on a terminal, else json); logs go to stderr"},
	{"shutdown-timeout", "MEMOS_SHUTDOWN_TIMEOUT", "how long to wait for in-flight requests on shutdown"},
}

// defaultDataDir is $XDG_DATA_HOME/memos-mcp, else ~/.local/share/memos-mcp.
func defaultDataDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "memos-mcp")
	}
	home := getenv("HOME")
	if home == "" {
		if h, err := os.UserHomeDir(); err == nil {
			home = h
		}
	}
	return filepath.Join(home, ".local", "share", "memos-mcp")
}

// parseConfig reads flags from args and environment variables through getenv.
func parseConfig(args []string, getenv func(string) string, usageOut io.Writer) (config, error) {
	cfg := config{
		Transport:       "stdio",
		Addr:            "127.0.0.1:8001",
		DataDir:         defaultDataDir(getenv),
		UserID:          "default",
		LogLevel:        "info",
		ShutdownTimeout: 10 * time.Second,
	}
	fs := flag.NewFlagSet("memos-mcp", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	fs.StringVar(&cfg.Transport, "transport", cfg.Transport, settings[0].usage)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, settings[1].usage)
	fs.BoolVar(&cfg.Insecure, "insecure", cfg.Insecure, settings[2].usage)
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, settings[3].usage)
	fs.StringVar(&cfg.UserID, "user", cfg.UserID, settings[4].usage)
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, settings[5].usage)
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, settings[6].usage)
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, settings[7].usage)
	fs.Usage = func() {
		fmt.Fprintf(usageOut, "Usage: memos-mcp [serve] [flags]\n       memos-mcp version\n\nFlags (each also settable by the environment variable shown):\n")
		fs.VisitAll(func(f *flag.Flag) {
			env := ""
			for _, s := range settings {
				if s.flag == f.Name {
					env = s.env
				}
			}
			fmt.Fprintf(usageOut, "  --%s (%s, default %q)\n      %s\n", f.Name, env, f.DefValue, f.Usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q; run memos-mcp --help for usage", fs.Arg(0))
	}
	explicit := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	for _, s := range settings {
		v := getenv(s.env)
		if explicit[s.flag] || v == "" {
			continue
		}
		if err := fs.Set(s.flag, v); err != nil {
			return cfg, fmt.Errorf("environment variable %s=%q: %w", s.env, v, err)
		}
	}
	return cfg, cfg.validate()
}

func (c config) validate() error {
	switch c.Transport {
	case "stdio":
	case "http":
		if err := checkListenAddr(c.Addr, c.Insecure); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--transport %q: use stdio or http", c.Transport)
	}
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("--data-dir is empty: give the directory for the embedded store")
	}
	if strings.TrimSpace(c.UserID) == "" || strings.TrimSpace(c.UserID) != c.UserID {
		return fmt.Errorf("--user %q: give a non-empty user id without surrounding spaces", c.UserID)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "json", "console":
	default:
		return fmt.Errorf("--log-format %q: use json or console", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %s: give a positive duration such as 10s", c.ShutdownTimeout)
	}
	return nil
}

// checkListenAddr insists on an explicit host, and on a loopback one unless insecure is set:
// the HTTP transport has no authentication yet, so anyone who can reach the port can read and
// delete every memory.
func checkListenAddr(addr string, insecure bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: give host:port, e.g. 127.0.0.1:8001", addr)
	}
	if port == "" {
		return fmt.Errorf("--addr %q: give a port, e.g. 127.0.0.1:8001", addr)
	}
	if host == "" {
		return fmt.Errorf("--addr %q listens on every network interface; name the host, e.g. 127.0.0.1:%s (or 0.0.0.0:%s with --insecure)", addr, port, port)
	}
	if host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err == nil && ip.IsLoopback() {
		return nil
	}
	if !insecure {
		return fmt.Errorf("--addr %q is reachable from other machines, and memos-mcp has no authentication yet: "+
			"listen on 127.0.0.1, or pass --insecure if the network is trusted", addr)
	}
	return nil
}
