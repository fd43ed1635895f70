// Package prompts holds the text memos-mcp gives to models: the MCP server instructions and the
// LLM prompt templates, as embedded files so they can be read and reviewed as prose.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"text/template"
)

//go:embed *.md
var files embed.FS

// Instructions is the guidance sent to MCP clients at initialisation: when to call which tool.
func Instructions() string { return mustRead("instructions.md") }

// Render executes the template in the named file with data.
func Render(name string, data any) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(mustRead(name))
	if err != nil {
		return "", fmt.Errorf("parse prompt %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render prompt %s: %w", name, err)
	}
	return b.String(), nil
}

// mustRead reads an embedded file; the set is fixed at build time and covered by tests, so a
// missing file is a programming error.
func mustRead(name string) string {
	b, err := files.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("prompts: %s is not embedded", name))
	}
	return string(b)
}
