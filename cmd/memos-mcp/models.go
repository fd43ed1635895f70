package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/builtin"
	"github.com/memos-mcp/memos-mcp/memstore/ollama"
)

// probeTimeout bounds the start-up check of Ollama: a server that is down must not delay start-up.
const probeTimeout = 10 * time.Second

// models builds the configured embedder and LLM (nil for none). When Ollama is used, it is probed
// once: a failure is logged with its fix but does not stop the server, since tools that need no
// model keep working and the calls that do recover as soon as Ollama answers.
func models(ctx context.Context, cfg config, log zerolog.Logger) (memstore.Embedder, memstore.LLM, error) {
	if !cfg.usesOllama() {
		return builtin.Embedder{}, nil, nil
	}
	client, err := ollama.New(ollama.Config{URL: cfg.OllamaURL, EmbedTimeout: cfg.OllamaTimeout, ChatTimeout: cfg.OllamaTimeout, NumPredict: cfg.LLMMaxTokens})
	if err != nil {
		return nil, nil, fmt.Errorf("--ollama-url: %w", err)
	}
	probeCtx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if v, err := client.Version(probeCtx); err != nil {
		log.Warn().Err(err).Str("ollama", client.URL()).Msg("Ollama is not reachable now; calls that need it will fail until it is")
	} else {
		log.Info().Str("ollama", client.URL()).Str("version", v).Msg("Ollama is reachable")
	}
	var embedder memstore.Embedder = builtin.Embedder{}
	if cfg.Embedder == "ollama" {
		e := client.NewEmbedder(cfg.EmbedModel)
		if err := e.Probe(probeCtx); err != nil {
			log.Warn().Err(err).Str("model", e.Model()).Msg("the embedding model cannot be used yet; its dimension will be learned when it answers")
		}
		embedder = e
	}
	var llm memstore.LLM
	if cfg.LLM == "ollama" {
		llm = client.NewLLM(cfg.LLMModel)
	}
	return embedder, llm, nil
}
