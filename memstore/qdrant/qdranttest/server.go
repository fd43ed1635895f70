// Package qdranttest is an in-process gRPC test double of the Qdrant server.
//
// The real go-client (qdrant.NewClient) talks to it over real TCP on
// 127.0.0.1, so a store tested against it exercises the real wire format.
//
// The double is STRICT: it models a fixed subset of Qdrant 1.17 (listed in
// modelledFields below and in the handlers) and answers everything else with
// codes.Unimplemented naming the RPC or the request field, so code tested
// against it cannot quietly depend on behaviour nobody checked. Where Qdrant
// leaves something unspecified (tie order, order of Get results) the double is
// deterministic and says so; where the double had to choose a semantics the
// comment says "DOUBLE CHOICE" so a real-server run can confirm it.
//
// Modelled RPCs: Qdrant.HealthCheck; Collections.CollectionExists, Create,
// Get, Delete, List; Points.CreateFieldIndex, Upsert, Get, Delete, Count,
// SetPayload, OverwritePayload, Scroll, Query. The modelled request fields
// are listed in modelledFields. Every other RPC (Recommend, Search,
// UpdateBatch, DeletePayload, snapshots, aliases, …) is Unimplemented.
//
// Sources cited in comments:
//   - [points.rs]  qdrant/qdrant lib/collection/src/collection/point_ops.rs (scroll_by)
//   - [errors]     qdrant/qdrant lib/storage/src/content_manager/conversions.rs
//     (StorageError -> tonic::Status: BadInput/BadRequest -> InvalidArgument,
//     NotFound -> NotFound, message = Display of the error)
//   - [local]      qdrant/qdrant-client qdrant_client/local/*.py, Qdrant's own
//     pure-Python emulation of the server ("local mode")
//   - [docs]       qdrant.tech/documentation (Points, Filtering, Payload, Search,
//     Indexing, Sparse vectors / IDF)
//   - [notes]      /work/shared/docs/qdrant-notes.md sections 2 and 3
package qdranttest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Version is what HealthCheck reports.
const Version = "1.17.0"

// Server is a running test double. All methods are safe for concurrent use.
type Server struct {
	addr *net.TCPAddr

	mu          sync.Mutex // guards everything below, held for the whole of each RPC
	collections map[string]*collection
	requests    []string
	last        map[string]proto.Message
	fail        map[string][]error
}

// Start listens on 127.0.0.1:0, registers the Points, Collections and Qdrant
// services (plus Snapshots, entirely Unimplemented, so that its calls are
// recorded too) and stops the server in t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("qdranttest: listen: %v", err)
	}
	s := &Server{
		addr:        lis.Addr().(*net.TCPAddr),
		collections: map[string]*collection{},
		last:        map[string]proto.Message{},
		fail:        map[string][]error{},
	}
	gs := grpc.NewServer(grpc.UnaryInterceptor(s.intercept))
	qdrant.RegisterPointsServer(gs, pointsService{s: s})
	qdrant.RegisterCollectionsServer(gs, collectionsService{s: s})
	qdrant.RegisterQdrantServer(gs, qdrantService{})
	qdrant.RegisterSnapshotsServer(gs, qdrant.UnimplementedSnapshotsServer{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = gs.Serve(lis) // returns nil after Stop
	}()
	t.Cleanup(func() {
		gs.Stop()
		<-done
	})
	return s
}

// Host is the address to put in qdrant.Config.Host.
func (s *Server) Host() string { return s.addr.IP.String() }

// Port is the port to put in qdrant.Config.Port.
func (s *Server) Port() int { return s.addr.Port }

// Requests returns the names of the RPCs received so far, in order, as
// "Service.Method" (e.g. "Points.Upsert", "Collections.Create").
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// LastRequest returns a clone of the last request message received for rpc
// ("Points.Query"), or nil if there was none.
func (s *Server) LastRequest(rpc string) proto.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.last[rpc]; ok {
		return proto.Clone(m)
	}
	return nil
}

// FailNext makes the next call of rpc ("Points.Upsert") return err instead of
// being handled. err should be a gRPC status (status.Error); anything else
// reaches the client as codes.Unknown. Calls queue up: FailNext twice fails
// the next two calls.
func (s *Server) FailNext(rpc string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[rpc] = append(s.fail[rpc], err)
}

// intercept records every unary call, injects FailNext errors and rejects
// request fields the double does not model, before the handler runs.
func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil { // a bug in the double: fail the call, not the test binary
			resp, err = nil, status.Errorf(codes.Internal, "qdranttest: panic in %s: %v", info.FullMethod, r)
		}
	}()
	name := strings.TrimPrefix(info.FullMethod, "/qdrant.") // "/qdrant.Points/Upsert"
	name = strings.Replace(name, "/", ".", 1)
	msg, _ := req.(proto.Message)
	s.mu.Lock()
	s.requests = append(s.requests, name)
	if msg != nil {
		s.last[name] = proto.Clone(msg)
	}
	var injected error
	if q := s.fail[name]; len(q) > 0 {
		injected, s.fail[name] = q[0], q[1:]
	}
	s.mu.Unlock()
	if injected != nil {
		return nil, injected
	}
	if msg != nil {
		if _, modelled := allowed[msg.ProtoReflect().Descriptor().FullName()]; modelled {
			if err := checkModelled(name, msg.ProtoReflect()); err != nil {
				return nil, err
			}
		}
	}
	return handler(ctx, req)
}

// modelledFields lists, per message type, the fields the double understands.
// Any other populated field of a request (at any depth) is answered with
// codes.Unimplemented naming it. Request types not listed here belong to RPCs
// the double does not model at all; their handlers are the generated
// Unimplemented ones. Knobs that only tune performance or storage and cannot
// change results (on_disk, hnsw, timeout, is_tenant, ...) are accepted and
// ignored; everything that can change results is either modelled or rejected.
var modelledFields = map[protoreflect.FullName]string{
	// Qdrant / Collections
	"qdrant.HealthCheckRequest":       "",
	"qdrant.CollectionExistsRequest":  "collection_name",
	"qdrant.GetCollectionInfoRequest": "collection_name",
	"qdrant.ListCollectionsRequest":   "",
	"qdrant.DeleteCollection":         "collection_name timeout",
	"qdrant.CreateCollection":         "collection_name timeout on_disk_payload hnsw_config vectors_config sparse_vectors_config",
	"qdrant.HnswConfigDiff":           "m ef_construct full_scan_threshold max_indexing_threads on_disk payload_m inline_storage",
	"qdrant.VectorsConfig":            "params params_map",
	"qdrant.VectorParamsMap":          "map",
	"qdrant.VectorParams":             "size distance hnsw_config on_disk datatype",
	"qdrant.SparseVectorConfig":       "map",
	"qdrant.SparseVectorParams":       "index modifier",
	"qdrant.SparseIndexConfig":        "full_scan_threshold on_disk",
	// payload indexes
	"qdrant.CreateFieldIndexCollection": "collection_name wait field_name field_type field_index_params timeout",
	"qdrant.PayloadIndexParams":         "keyword_index_params integer_index_params float_index_params text_index_params bool_index_params datetime_index_params",
	"qdrant.KeywordIndexParams":         "is_tenant on_disk enable_hnsw",
	"qdrant.IntegerIndexParams":         "lookup range is_principal on_disk enable_hnsw",
	"qdrant.FloatIndexParams":           "on_disk is_principal enable_hnsw",
	"qdrant.TextIndexParams":            "tokenizer lowercase on_disk enable_hnsw",
	"qdrant.BoolIndexParams":            "on_disk enable_hnsw",
	"qdrant.DatetimeIndexParams":        "on_disk is_principal enable_hnsw",
	// points
	"qdrant.UpsertPoints":       "collection_name wait points timeout update_mode",
	"qdrant.PointStruct":        "id payload vectors",
	"qdrant.PointId":            "num uuid",
	"qdrant.Vectors":            "vector vectors",
	"qdrant.NamedVectors":       "vectors",
	"qdrant.Vector":             "data indices dense sparse",
	"qdrant.SparseIndices":      "data",
	"qdrant.DenseVector":        "data",
	"qdrant.SparseVector":       "values indices",
	"qdrant.Value":              "null_value double_value integer_value string_value bool_value struct_value list_value",
	"qdrant.Struct":             "fields",
	"qdrant.ListValue":          "values",
	"qdrant.DeletePoints":       "collection_name wait points timeout",
	"qdrant.PointsSelector":     "points filter",
	"qdrant.PointsIdsList":      "ids",
	"qdrant.GetPoints":          "collection_name ids with_payload with_vectors timeout",
	"qdrant.SetPayloadPoints":   "collection_name wait payload points_selector timeout",
	"qdrant.CountPoints":        "collection_name filter exact timeout",
	"qdrant.ScrollPoints":       "collection_name filter offset limit with_payload with_vectors order_by timeout",
	"qdrant.QueryPoints":        "collection_name query using filter params score_threshold limit offset with_vectors with_payload timeout",
	"qdrant.SearchParams":       "hnsw_ef exact", // the double is always exact
	"qdrant.Query":              "nearest order_by",
	"qdrant.VectorInput":        "dense sparse",
	"qdrant.OrderBy":            "key direction start_from",
	"qdrant.StartFrom":          "float integer timestamp datetime",
	"google.protobuf.Timestamp": "seconds nanos",
	// selectors
	"qdrant.WithPayloadSelector":    "enable include exclude",
	"qdrant.PayloadIncludeSelector": "fields",
	"qdrant.PayloadExcludeSelector": "fields",
	"qdrant.WithVectorsSelector":    "enable include",
	"qdrant.VectorsSelector":        "names",
	// filters
	"qdrant.Filter":           "should must must_not min_should",
	"qdrant.MinShould":        "conditions min_count",
	"qdrant.Condition":        "field is_empty has_id filter is_null",
	"qdrant.FieldCondition":   "key match range values_count datetime_range is_empty is_null",
	"qdrant.Match":            "keyword integer boolean text keywords integers except_integers except_keywords",
	"qdrant.RepeatedStrings":  "strings",
	"qdrant.RepeatedIntegers": "integers",
	"qdrant.Range":            "lt gt gte lte",
	"qdrant.DatetimeRange":    "lt gt gte lte",
	"qdrant.ValuesCount":      "lt gt gte lte",
	"qdrant.IsEmptyCondition": "key",
	"qdrant.IsNullCondition":  "key",
	"qdrant.HasIdCondition":   "has_id",
}

var allowed = func() map[protoreflect.FullName]map[protoreflect.Name]bool {
	m := map[protoreflect.FullName]map[protoreflect.Name]bool{}
	for msg, fields := range modelledFields {
		set := map[protoreflect.Name]bool{}
		for _, f := range strings.Fields(fields) {
			set[protoreflect.Name(f)] = true
		}
		m[msg] = set
	}
	return m
}()

// checkModelled walks every populated field of m (recursively, including list
// elements and map values) and rejects the first one that is not modelled.
func checkModelled(rpc string, m protoreflect.Message) error {
	var err error
	desc := m.Descriptor()
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if !allowed[desc.FullName()][fd.Name()] {
			err = unmodelled("%s: field `%s.%s` is not modelled by the test double", rpc, desc.FullName(), fd.Name())
			return false
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					err = checkModelled(rpc, mv.Message())
					return err == nil
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				for i := 0; i < v.List().Len() && err == nil; i++ {
					err = checkModelled(rpc, v.List().Get(i).Message())
				}
			}
		case fd.Message() != nil:
			err = checkModelled(rpc, v.Message())
		}
		return err == nil
	})
	return err
}

// Error constructors. Qdrant's gRPC status message is the Display of its
// StorageError [errors]: "Not found: …", "Wrong input: …", "Bad request: …".

func unmodelled(format string, args ...any) error {
	return status.Errorf(codes.Unimplemented, "qdranttest: "+format, args...)
}

func wrongInput(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, "Wrong input: "+format, args...)
}

func badRequest(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, "Bad request: "+format, args...)
}

func invalidArg(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

func notFound(format string, args ...any) error {
	return status.Errorf(codes.NotFound, "Not found: "+format, args...)
}

// collection returns the named collection; the caller holds s.mu.
func (s *Server) collection(name string) (*collection, error) {
	c, ok := s.collections[name]
	if !ok {
		return nil, notFound("Collection `%s` doesn't exist!", name)
	}
	return c, nil
}

type qdrantService struct {
	qdrant.UnimplementedQdrantServer
}

func (qdrantService) HealthCheck(context.Context, *qdrant.HealthCheckRequest) (*qdrant.HealthCheckReply, error) {
	return &qdrant.HealthCheckReply{Title: "qdrant - vector search engine", Version: Version}, nil
}
