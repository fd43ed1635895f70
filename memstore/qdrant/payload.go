package qdrant

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"

	"github.com/memos-mcp/memos-mcp/memstore"
	"github.com/memos-mcp/memos-mcp/memstore/lexical"
)

// A memory is one point: its whole JSON in the payload field "doc" (so it round-trips exactly), the
// fields filters and ordering need as typed payload, the dense vector, and the sparse lexical one.
//
// Times are stored as whole microseconds since the epoch ("created_us"; exact as a double, which is
// what Qdrant's range conditions compare, until the year 2255) plus the nanoseconds within the
// microsecond ("created_rem"), so ordering and comparisons are exact to the nanosecond.
// "created_at" holds the creation time in unix milliseconds too, for people who query the
// collection directly (dashboards, Qdrant's web UI).

func splitTime(t time.Time) (us, rem int64) {
	us = t.UnixMicro()
	rem = int64(t.Nanosecond() % 1000)
	if rem < 0 { // times before the epoch: UnixMicro rounds toward zero
		rem += 1000
		us--
	}
	return us, rem
}

func pointID(id string) (*qdrant.PointId, string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return nil, "", fmt.Errorf("memory id %q is not a UUID: %w", id, err)
	}
	return qdrant.NewID(u.String()), u.String(), nil
}

// sparseOf is the lexical vector of a text: the lexical features, hashed to 32 bits, weighted like
// the built-in embedder's (sublinear counts, stopwords low). Qdrant applies the IDF.
func sparseOf(text string) ([]uint32, []float32) {
	weights := map[uint32]float32{}
	for _, f := range lexical.Features(text) {
		weights[uint32(f.Hash())] += float32((1 + math.Log(float64(f.Count))) * f.Weight)
	}
	idx := make([]uint32, 0, len(weights))
	for i := range weights {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	vals := make([]float32, len(idx))
	for i, k := range idx {
		vals[i] = weights[k]
	}
	return idx, vals
}

// toPoint converts a memory (its embedding normalised by Qdrant on upload).
func toPoint(m memstore.Memory) (*qdrant.PointStruct, error) {
	id, canon, err := pointID(m.ID)
	if err != nil {
		return nil, err
	}
	m.ID = canon
	doc, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("memory %s: encode: %w", m.ID, err)
	}
	cUS, cRem := splitTime(m.CreatedAt)
	tags := make([]any, len(m.Tags))
	for i, t := range m.Tags {
		tags[i] = t
	}
	info := make(map[string]any, len(m.Info))
	for k, v := range m.Info {
		info[k] = v
	}
	fields := map[string]any{
		"doc": string(doc), "user_id": m.UserID, "cube_id": m.CubeID, "conversation_id": m.ConversationID,
		"kind": string(m.Kind), "status": string(m.Status), "memory_type": string(m.MemoryType),
		"preference_type": string(m.PreferenceType), "polarity": string(m.Polarity), "key": m.Key, "topic": m.Topic,
		"tags": tags, "info": info, "confidence": m.Confidence,
		"created_us": cUS, "created_rem": cRem, "created_at": m.CreatedAt.UnixMilli(),
	}
	if !m.UpdatedAt.IsZero() { // a memory never updated has no time for updated_at conditions to match
		fields["updated_us"], fields["updated_rem"] = splitTime(m.UpdatedAt)
	}
	if m.ExpiresAt != nil {
		eUS, eRem := splitTime(*m.ExpiresAt)
		fields["expires_us"], fields["expires_rem"] = eUS, eRem
	}
	payload, err := qdrant.TryValueMap(fields)
	if err != nil {
		return nil, fmt.Errorf("memory %s: payload: %w", m.ID, err)
	}
	idx, vals := sparseOf(memstore.EmbedText(&m))
	vectors := map[string]*qdrant.Vector{denseVector: qdrant.NewVectorDense(m.Embedding)}
	if len(idx) > 0 {
		vectors[sparseVector] = qdrant.NewVectorSparse(idx, vals)
	}
	return &qdrant.PointStruct{Id: id, Vectors: qdrant.NewVectorsMap(vectors), Payload: payload}, nil
}

// fromPoint converts a point back to the memory it stores.
func fromPoint(payload map[string]*qdrant.Value, vectors *qdrant.VectorsOutput) (memstore.Memory, error) {
	var m memstore.Memory
	doc := payload["doc"].GetStringValue()
	if doc == "" {
		return m, fmt.Errorf("a point of the memories collection has no memory document")
	}
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return m, fmt.Errorf("a memory document is corrupt: %w", err)
	}
	if v := vectors.GetVectors().GetVectors()[denseVector]; v != nil {
		m.Embedding = v.GetDense().GetData()
		if len(m.Embedding) == 0 {
			m.Embedding = v.GetData() // servers before dense outputs
		}
	}
	return m, nil
}
