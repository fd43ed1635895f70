package qdranttest_test

import (
	"math"
	"slices"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

func TestSparseQueryIDF(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	if err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "sp",
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"dense": {Size: 2, Distance: qdrant.Distance_Dot}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"bm25": {Modifier: qdrant.Modifier_Idf.Enum()}, "raw": {}}),
	}); err != nil {
		t.Fatal(err)
	}
	// Term 1 is common (4 of the 5 points with the vector), term 2 rare (1 of 5).
	docs := map[uint64]map[uint32]float32{
		1: {1: 2.0},
		2: {2: 1.0},
		3: {1: 1.0, 7: 1.0},
		4: {1: 1.0},
		5: {1: 1.0},
	}
	for id, d := range docs {
		var idx []uint32
		var val []float32
		for i, v := range d {
			idx, val = append(idx, i), append(val, v)
		}
		upsert(t, c, "sp", &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"bm25": qdrant.NewVectorSparse(idx, val), "raw": qdrant.NewVectorSparse(idx, val)})})
	}
	// A point without sparse vectors is not part of N.
	upsert(t, c, "sp", &qdrant.PointStruct{Id: qdrant.NewIDNum(6), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVectorDense([]float32{1, 1})})})

	query := func(using string, idx []uint32, val []float32, opts ...func(*qdrant.QueryPoints)) []*qdrant.ScoredPoint {
		req := &qdrant.QueryPoints{CollectionName: "sp", Query: qdrant.NewQuerySparse(idx, val), Using: qdrant.PtrOf(using)}
		for _, o := range opts {
			o(req)
		}
		return must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, req))
	}
	// Without a modifier: plain dot product, the heavy common term wins.
	raw := query("raw", []uint32{1, 2}, []float32{1, 1})
	if ids(raw) != "1,2,3,4,5" || raw[0].GetScore() != 2 || raw[1].GetScore() != 1 {
		t.Fatalf("raw: %v", raw)
	}
	// With IDF the rare term outweighs the common one.
	idf := func(n, df float64) float64 { return math.Log((n-df+0.5)/(df+0.5) + 1) }
	idf1, idf2 := idf(5, 4), idf(5, 1)
	hits := query("bm25", []uint32{2, 1}, []float32{1, 1}) // order of query indices does not matter
	if ids(hits) != "2,1,3,4,5" {
		t.Fatalf("idf order: %s", ids(hits))
	}
	want := map[uint64]float64{1: 2 * idf1, 2: idf2, 3: idf1, 4: idf1, 5: idf1}
	for _, h := range hits {
		if !near(float64(h.GetScore()), want[h.GetId().GetNum()]) {
			t.Fatalf("point %d score %v, want %v", h.GetId().GetNum(), h.GetScore(), want[h.GetId().GetNum()])
		}
	}
	// NewQueryNearest with a sparse VectorInput is the same query.
	alt := must[[]*qdrant.ScoredPoint](t)(c.Query(ctx, &qdrant.QueryPoints{CollectionName: "sp", Using: qdrant.PtrOf("bm25"),
		Query: qdrant.NewQueryNearest(qdrant.NewVectorInputSparse([]uint32{1, 2}, []float32{1, 1}))}))
	if ids(alt) != ids(hits) {
		t.Fatalf("NewQueryNearest: %s", ids(alt))
	}
	// Points sharing no index are not returned; filter, threshold, limit.
	if got := query("bm25", []uint32{9}, []float32{1}); len(got) != 0 {
		t.Fatalf("no overlap: %v", got)
	}
	got := query("bm25", []uint32{1, 2}, []float32{1, 1}, func(q *qdrant.QueryPoints) {
		q.Filter = &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(2))}}
		q.ScoreThreshold = qdrant.PtrOf(float32(idf1 + 0.01))
	})
	if ids(got) != "1" {
		t.Fatalf("filter+threshold: %s", ids(got))
	}
	// IDF follows deletes: with point 2 gone, term 2 matches nothing and N = 4.
	if _, err := c.Delete(ctx, &qdrant.DeletePoints{CollectionName: "sp", Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(2))}); err != nil {
		t.Fatal(err)
	}
	got = query("bm25", []uint32{1}, []float32{1})
	if len(got) != 4 || !near(float64(got[0].GetScore()), 2*idf(4, 4)) {
		t.Fatalf("after delete: %v", got)
	}

	// Stored sparse vectors come back sorted by index.
	upsert(t, c, "sp", &qdrant.PointStruct{Id: qdrant.NewIDNum(9), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
		"raw": qdrant.NewVectorSparse([]uint32{30, 10, 20}, []float32{3, 1, 2})})})
	r := must[[]*qdrant.RetrievedPoint](t)(c.Get(ctx, &qdrant.GetPoints{CollectionName: "sp", Ids: []*qdrant.PointId{qdrant.NewIDNum(9)}, WithVectors: qdrant.NewWithVectorsInclude("raw")}))
	sv := r[0].GetVectors().GetVectors().GetVectors()["raw"].GetSparseVector()
	if !slices.Equal(sv.GetIndices(), []uint32{10, 20, 30}) || !slices.Equal(sv.GetValues(), []float32{1, 2, 3}) {
		t.Fatalf("sparse = %v", sv)
	}

	for _, tc := range []struct {
		name string
		err  error
		code codes.Code
		want string
	}{
		{"duplicate indices", upsertErr(c, t, &qdrant.PointStruct{Id: qdrant.NewIDNum(10), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"raw": qdrant.NewVectorSparse([]uint32{1, 1}, []float32{1, 2})})}), codes.InvalidArgument, "unique"},
		{"length mismatch", upsertErr(c, t, &qdrant.PointStruct{Id: qdrant.NewIDNum(10), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"raw": qdrant.NewVectorSparse([]uint32{1, 2}, []float32{1})})}), codes.InvalidArgument, "same length"},
		{"dense into sparse", upsertErr(c, t, &qdrant.PointStruct{Id: qdrant.NewIDNum(10), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"raw": qdrant.NewVectorDense([]float32{1, 2})})}), codes.InvalidArgument, "Conversion between sparse and regular vectors failed"},
		{"sparse query on a dense vector", queryErr(c, t, &qdrant.QueryPoints{CollectionName: "sp", Query: qdrant.NewQuerySparse([]uint32{1}, []float32{1}), Using: qdrant.PtrOf("dense")}),
			codes.InvalidArgument, "Conversion between sparse and regular vectors failed"},
		{"sparse query, unknown name", queryErr(c, t, &qdrant.QueryPoints{CollectionName: "sp", Query: qdrant.NewQuerySparse([]uint32{1}, []float32{1}), Using: qdrant.PtrOf("nope")}),
			codes.InvalidArgument, "Not existing vector name error: nope"},
		{"query by point id", queryErr(c, t, &qdrant.QueryPoints{CollectionName: "sp", Query: qdrant.NewQueryID(qdrant.NewIDNum(1)), Using: qdrant.PtrOf("raw")}),
			codes.Unimplemented, "qdrant.VectorInput.id"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err, tc.code, tc.want) })
	}
}

func upsertErr(c *qdrant.Client, t *testing.T, p *qdrant.PointStruct) error {
	_, err := c.Upsert(t.Context(), &qdrant.UpsertPoints{CollectionName: "sp", Points: []*qdrant.PointStruct{p}})
	return err
}

func queryErr(c *qdrant.Client, t *testing.T, q *qdrant.QueryPoints) error {
	_, err := c.Query(t.Context(), q)
	return err
}
