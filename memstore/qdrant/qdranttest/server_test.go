package qdranttest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestUnmodelledRPCsAndFields(t *testing.T) {
	srv, c := start(t)
	ctx := t.Context()
	createDense(t, c, "u", 2, qdrant.Distance_Dot)
	upsert(t, c, "u", pt(1, nil, 1, 0))
	q := func(req *qdrant.QueryPoints) error {
		req.CollectionName = "u"
		_, err := c.Query(ctx, req)
		return err
	}
	dense := qdrant.NewQueryDense([]float32{1, 0})
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"CreateSnapshot", func() error { _, err := c.CreateSnapshot(ctx, "u"); return err }, "CreateSnapshot"},
		{"Recommend", func() error {
			_, err := c.GetPointsClient().Recommend(ctx, &qdrant.RecommendPoints{CollectionName: "u", Positive: []*qdrant.PointId{qdrant.NewIDNum(1)}})
			return err
		}, "Recommend"},
		{"UpdateBatch", func() error { _, err := c.UpdateBatch(ctx, &qdrant.UpdateBatchPoints{CollectionName: "u"}); return err }, "UpdateBatch"},
		{"DeletePayload", func() error {
			_, err := c.DeletePayload(ctx, &qdrant.DeletePayloadPoints{CollectionName: "u"})
			return err
		}, "DeletePayload"},
		{"UpdateCollection", func() error { return c.UpdateCollection(ctx, &qdrant.UpdateCollection{CollectionName: "u"}) }, "Update"},
		{"upsert ordering", func() error {
			_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{pt(2, nil, 1, 0)},
				Ordering: &qdrant.WriteOrdering{Type: qdrant.WriteOrderingType_Strong}})
			return err
		}, "qdrant.UpsertPoints.ordering"},
		{"upsert update_filter", func() error {
			_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{pt(2, nil, 1, 0)}, UpdateFilter: &qdrant.Filter{}})
			return err
		}, "qdrant.UpsertPoints.update_filter"},
		{"upsert insert_only", func() error {
			_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{pt(2, nil, 1, 0)}, UpdateMode: qdrant.UpdateMode_InsertOnly.Enum()})
			return err
		}, "update_mode InsertOnly"},
		{"multi vector", func() error {
			_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMulti([][]float32{{1, 0}})}}})
			return err
		}, "qdrant.Vector.multi_dense"},
		{"read consistency", func() error {
			_, err := c.Get(ctx, &qdrant.GetPoints{CollectionName: "u", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}, ReadConsistency: qdrant.NewReadConsistencyFactor(2)})
			return err
		}, "qdrant.GetPoints.read_consistency"},
		{"prefetch", func() error {
			return q(&qdrant.QueryPoints{Query: dense, Prefetch: []*qdrant.PrefetchQuery{{Query: dense}}})
		}, "qdrant.QueryPoints.prefetch"},
		{"fusion", func() error { return q(&qdrant.QueryPoints{Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)}) }, "qdrant.Query.fusion"},
		{"no query", func() error { return q(&qdrant.QueryPoints{}) }, "without `query`"},
		{"quantization search params", func() error {
			return q(&qdrant.QueryPoints{Query: dense, Params: &qdrant.SearchParams{Quantization: &qdrant.QuantizationSearchParams{}}})
		}, "qdrant.SearchParams.quantization"},
		{"lookup_from", func() error {
			return q(&qdrant.QueryPoints{Query: dense, LookupFrom: &qdrant.LookupLocation{CollectionName: "x"}})
		}, "qdrant.QueryPoints.lookup_from"},
		{"array path in include", func() error {
			return q(&qdrant.QueryPoints{Query: dense, WithPayload: qdrant.NewWithPayloadInclude("a[].b")})
		}, "array paths"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.call(), codes.Unimplemented, tc.want) })
	}
	// Accepted performance-only knobs do not trip the strictness check.
	if err := q(&qdrant.QueryPoints{Query: dense, Params: &qdrant.SearchParams{Exact: qdrant.PtrOf(true), HnswEf: qdrant.PtrOf(uint64(64))}, Timeout: qdrant.PtrOf(uint64(5))}); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests(); !slices.Contains(reqs, "Snapshots.Create") || !slices.Contains(reqs, "Points.Recommend") {
		t.Fatalf("unmodelled RPCs not recorded: %v", reqs)
	}
}

func TestRecordingAndFailNext(t *testing.T) {
	srv, c := start(t)
	ctx := t.Context()
	createDense(t, c, "rec", 2, qdrant.Distance_Dot)
	srv.FailNext("Points.Upsert", status.Error(codes.Unavailable, "injected"))
	srv.FailNext("Points.Upsert", status.Error(codes.ResourceExhausted, "again"))
	_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "rec", Points: []*qdrant.PointStruct{pt(1, nil, 1, 0)}})
	wantErr(t, err, codes.Unavailable, "injected")
	_, err = c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "rec", Points: []*qdrant.PointStruct{pt(1, nil, 1, 0)}})
	wantErr(t, err, codes.ResourceExhausted, "again")
	if n := must[uint64](t)(c.Count(ctx, &qdrant.CountPoints{CollectionName: "rec"})); n != 0 {
		t.Fatalf("a failed upsert stored %d points", n)
	}
	res := must[*qdrant.UpdateResult](t)(c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "rec", Points: []*qdrant.PointStruct{pt(1, nil, 1, 0)}}))
	if res.GetStatus() != qdrant.UpdateStatus_Acknowledged {
		t.Fatalf("wait unset: status %v", res.GetStatus())
	}
	f := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("user", "u1")}}
	res = must[*qdrant.UpdateResult](t)(c.Delete(ctx, &qdrant.DeletePoints{CollectionName: "rec", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelectorFilter(f)}))
	if res.GetStatus() != qdrant.UpdateStatus_Completed || res.GetOperationId() == 0 {
		t.Fatalf("wait=true: %v", res)
	}

	want := []string{"Collections.Create", "Points.Upsert", "Points.Upsert", "Points.Count", "Points.Upsert", "Points.Delete"}
	if got := srv.Requests(); !slices.Equal(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	last, ok := srv.LastRequest("Points.Delete").(*qdrant.DeletePoints)
	if !ok || !last.GetWait() || last.GetPoints().GetFilter().GetMust()[0].GetField().GetMatch().GetKeyword() != "u1" {
		t.Fatalf("last delete = %v", last)
	}
	last.Wait = qdrant.PtrOf(false) // a clone: the recording is unaffected
	if !srv.LastRequest("Points.Delete").(*qdrant.DeletePoints).GetWait() {
		t.Fatal("LastRequest returned the recorded message itself")
	}
	if srv.LastRequest("Points.Scroll") != nil {
		t.Fatal("LastRequest of an RPC never called")
	}
}

func TestConcurrentClients(t *testing.T) {
	srv, c := start(t)
	createDense(t, c, "cc", 2, qdrant.Distance_Cosine)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				id := uint64(g*100 + i)
				if _, err := c.Upsert(t.Context(), &qdrant.UpsertPoints{CollectionName: "cc", Wait: qdrant.PtrOf(true),
					Points: []*qdrant.PointStruct{pt(id, map[string]any{"g": fmt.Sprint(g)}, float32(i+1), float32(g+1))}}); err != nil {
					errs <- err
					return
				}
				if _, err := c.Query(t.Context(), &qdrant.QueryPoints{CollectionName: "cc", Query: qdrant.NewQueryDense([]float32{1, 1}),
					Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("g", fmt.Sprint(g))}}}); err != nil {
					errs <- err
					return
				}
				_ = srv.Requests()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := must[uint64](t)(c.Count(t.Context(), &qdrant.CountPoints{CollectionName: "cc"})); n != 200 {
		t.Fatalf("count %d", n)
	}
}
