package qdranttest_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/memos-mcp/memos-mcp/memstore/qdrant/qdranttest"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// start runs a double and a real client connected to it over TCP.
func start(t *testing.T) (*qdranttest.Server, *qdrant.Client) {
	t.Helper()
	srv := qdranttest.Start(t)
	c, err := qdrant.NewClient(&qdrant.Config{Host: srv.Host(), Port: srv.Port(), SkipCompatibilityCheck: true, PoolSize: 1})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return srv, c
}

// wantErr checks the gRPC code (through the client's QdrantError wrapper)
// and that the message contains want.
func wantErr(t *testing.T, err error, code codes.Code, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %v error containing %q, got nil", code, want)
	}
	if got := status.Code(err); got != code {
		t.Fatalf("code = %v, want %v (err: %v)", got, code, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not contain %q", err.Error(), want)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func createDense(t *testing.T, c *qdrant.Client, name string, dim uint64, d qdrant.Distance) {
	t.Helper()
	err := c.CreateCollection(t.Context(), &qdrant.CreateCollection{CollectionName: name,
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: dim, Distance: d})})
	if err != nil {
		t.Fatal(err)
	}
}

func upsert(t *testing.T, c *qdrant.Client, coll string, pts ...*qdrant.PointStruct) {
	t.Helper()
	if _, err := c.Upsert(t.Context(), &qdrant.UpsertPoints{CollectionName: coll, Wait: qdrant.PtrOf(true), Points: pts}); err != nil {
		t.Fatal(err)
	}
}

func pt(id uint64, payload map[string]any, vec ...float32) *qdrant.PointStruct {
	p := &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Payload: qdrant.NewValueMap(payload)}
	if len(vec) > 0 {
		p.Vectors = qdrant.NewVectorsDense(vec)
	}
	return p
}

func idStr(id *qdrant.PointId) string {
	if u := id.GetUuid(); u != "" {
		return u
	}
	return fmt.Sprint(id.GetNum())
}

func ids[P interface{ GetId() *qdrant.PointId }](pts []P) string {
	s := make([]string, len(pts))
	for i, p := range pts {
		s[i] = idStr(p.GetId())
	}
	return strings.Join(s, ",")
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-5 }

// plain renders a payload Value as a Go value for compact comparisons.
func plain(v *qdrant.Value) any {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_StringValue:
		return k.StringValue
	case *qdrant.Value_IntegerValue:
		return k.IntegerValue
	case *qdrant.Value_DoubleValue:
		return k.DoubleValue
	case *qdrant.Value_BoolValue:
		return k.BoolValue
	case *qdrant.Value_NullValue:
		return nil
	case *qdrant.Value_ListValue:
		out := []any{}
		for _, e := range k.ListValue.GetValues() {
			out = append(out, plain(e))
		}
		return out
	case *qdrant.Value_StructValue:
		out := map[string]any{}
		for f, e := range k.StructValue.GetFields() {
			out[f] = plain(e)
		}
		return out
	}
	return "<no kind>"
}
