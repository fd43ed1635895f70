package qdranttest_test

import (
	"slices"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

func TestHealthCheck(t *testing.T) {
	_, c := start(t)
	r := must[*qdrant.HealthCheckReply](t)(c.HealthCheck(t.Context()))
	if r.GetVersion() != "1.17.0" || r.GetTitle() == "" {
		t.Fatalf("health = %v", r)
	}
}

func TestCollectionLifecycle(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	if ok := must[bool](t)(c.CollectionExists(ctx, "a")); ok {
		t.Fatal("a exists before creation")
	}
	if err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "a", OnDiskPayload: qdrant.PtrOf(true),
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Cosine, OnDisk: qdrant.PtrOf(true)})}); err != nil {
		t.Fatal(err)
	}
	if ok := must[bool](t)(c.CollectionExists(ctx, "a")); !ok {
		t.Fatal("a does not exist after creation")
	}
	err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "a",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Cosine})})
	wantErr(t, err, codes.InvalidArgument, "Wrong input: Collection `a` already exists!")

	if err := c.CreateCollection(ctx, &qdrant.CreateCollection{CollectionName: "b",
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			"text": {Size: 4, Distance: qdrant.Distance_Dot},
			"img":  {Size: 2, Distance: qdrant.Distance_Cosine}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"bm25": {Modifier: qdrant.Modifier_Idf.Enum()}, "splade": {}}),
	}); err != nil {
		t.Fatal(err)
	}

	// Get returns the config so a client can read sizes and sparse names.
	a := must[*qdrant.CollectionInfo](t)(c.GetCollectionInfo(ctx, "a")).GetConfig().GetParams()
	if a.GetVectorsConfig().GetParams().GetSize() != 3 || a.GetVectorsConfig().GetParams().GetDistance() != qdrant.Distance_Cosine || !a.GetOnDiskPayload() {
		t.Fatalf("a params = %v", a)
	}
	b := must[*qdrant.CollectionInfo](t)(c.GetCollectionInfo(ctx, "b")).GetConfig().GetParams()
	named := b.GetVectorsConfig().GetParamsMap().GetMap()
	if named["text"].GetSize() != 4 || named["text"].GetDistance() != qdrant.Distance_Dot || named["img"].GetSize() != 2 {
		t.Fatalf("b vectors = %v", named)
	}
	sparse := b.GetSparseVectorsConfig().GetMap()
	if len(sparse) != 2 || sparse["bm25"].GetModifier() != qdrant.Modifier_Idf || sparse["splade"].GetModifier() != qdrant.Modifier_None {
		t.Fatalf("b sparse = %v", sparse)
	}

	if names := must[[]string](t)(c.ListCollections(ctx)); !slices.Equal(names, []string{"a", "b"}) {
		t.Fatalf("list = %v", names)
	}
	if err := c.DeleteCollection(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if ok := must[bool](t)(c.CollectionExists(ctx, "a")); ok {
		t.Fatal("a exists after delete")
	}
	if err := c.DeleteCollection(ctx, "a"); err == nil { // result=false -> client error
		t.Fatal("deleting a missing collection succeeded")
	}

	// Every collection-scoped RPC on a missing collection: NotFound.
	const msg = "Not found: Collection `a` doesn't exist!"
	_, err = c.GetCollectionInfo(ctx, "a")
	wantErr(t, err, codes.NotFound, msg)
	_, err = c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "a", Points: []*qdrant.PointStruct{pt(1, nil, 1, 2, 3)}})
	wantErr(t, err, codes.NotFound, msg)
	_, err = c.Count(ctx, &qdrant.CountPoints{CollectionName: "a"})
	wantErr(t, err, codes.NotFound, msg)
	_, err = c.Query(ctx, &qdrant.QueryPoints{CollectionName: "a", Query: qdrant.NewQueryDense([]float32{1, 2, 3})})
	wantErr(t, err, codes.NotFound, msg)
	_, err = c.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "a", FieldName: "x", FieldType: qdrant.FieldType_FieldTypeKeyword.Enum()})
	wantErr(t, err, codes.NotFound, msg)
}

func TestCreateCollectionValidation(t *testing.T) {
	_, c := start(t)
	vp := func(p *qdrant.VectorParams) *qdrant.VectorsConfig { return qdrant.NewVectorsConfig(p) }
	for _, tc := range []struct {
		name string
		req  *qdrant.CreateCollection
		code codes.Code
		want string
	}{
		{"euclid", &qdrant.CreateCollection{VectorsConfig: vp(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Euclid})}, codes.Unimplemented, "distance Euclid"},
		{"size0", &qdrant.CreateCollection{VectorsConfig: vp(&qdrant.VectorParams{Size: 0, Distance: qdrant.Distance_Dot})}, codes.InvalidArgument, "size"},
		{"uint8", &qdrant.CreateCollection{VectorsConfig: vp(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Dot, Datatype: qdrant.Datatype_Uint8.Enum()})}, codes.Unimplemented, "datatype"},
		{"quantization", &qdrant.CreateCollection{VectorsConfig: vp(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Dot}),
			QuantizationConfig: qdrant.NewQuantizationScalar(&qdrant.ScalarQuantization{})}, codes.Unimplemented, "qdrant.CreateCollection.quantization_config"},
		{"multivector", &qdrant.CreateCollection{VectorsConfig: vp(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Dot,
			MultivectorConfig: &qdrant.MultiVectorConfig{}})}, codes.Unimplemented, "qdrant.VectorParams.multivector_config"},
		{"novectors", &qdrant.CreateCollection{}, codes.Unimplemented, "without vectors_config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.CollectionName = tc.name
			wantErr(t, c.CreateCollection(t.Context(), tc.req), tc.code, tc.want)
		})
	}
}

func TestCreateFieldIndex(t *testing.T) {
	_, c := start(t)
	ctx := t.Context()
	createDense(t, c, "m", 2, qdrant.Distance_Dot)
	upsert(t, c, "m", pt(1, map[string]any{"user": "u", "n": 1}, 1, 0), pt(2, map[string]any{"user": "v"}, 0, 1))
	index := func(field string, ft qdrant.FieldType, p *qdrant.PayloadIndexParams) error {
		_, err := c.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "m", Wait: qdrant.PtrOf(true),
			FieldName: field, FieldType: ft.Enum(), FieldIndexParams: p})
		return err
	}
	for _, tc := range []struct {
		field string
		ft    qdrant.FieldType
		p     *qdrant.PayloadIndexParams
		want  qdrant.PayloadSchemaType
	}{
		{"user", qdrant.FieldType_FieldTypeKeyword, qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)}), qdrant.PayloadSchemaType_Keyword},
		{"n", qdrant.FieldType_FieldTypeInteger, qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(false), Range: qdrant.PtrOf(true)}), qdrant.PayloadSchemaType_Integer},
		{"score", qdrant.FieldType_FieldTypeFloat, nil, qdrant.PayloadSchemaType_Float},
		{"at", qdrant.FieldType_FieldTypeDatetime, qdrant.NewPayloadIndexParamsDatetime(&qdrant.DatetimeIndexParams{}), qdrant.PayloadSchemaType_Datetime},
		{"ok", qdrant.FieldType_FieldTypeBool, nil, qdrant.PayloadSchemaType_Bool},
		{"body", qdrant.FieldType_FieldTypeText, qdrant.NewPayloadIndexParamsText(&qdrant.TextIndexParams{Tokenizer: qdrant.TokenizerType_Word, Lowercase: qdrant.PtrOf(true)}), qdrant.PayloadSchemaType_Text},
		{"info.city", qdrant.FieldType_FieldTypeKeyword, nil, qdrant.PayloadSchemaType_Keyword},
	} {
		if err := index(tc.field, tc.ft, tc.p); err != nil {
			t.Fatalf("%s: %v", tc.field, err)
		}
		if err := index(tc.field, tc.ft, tc.p); err != nil { // twice is fine
			t.Fatalf("%s again: %v", tc.field, err)
		}
		info := must[*qdrant.CollectionInfo](t)(c.GetCollectionInfo(ctx, "m")).GetPayloadSchema()[tc.field]
		if info.GetDataType() != tc.want {
			t.Fatalf("%s: schema %v, want %v", tc.field, info.GetDataType(), tc.want)
		}
	}
	schema := must[*qdrant.CollectionInfo](t)(c.GetCollectionInfo(ctx, "m")).GetPayloadSchema()
	if schema["user"].GetPoints() != 2 || schema["n"].GetPoints() != 1 || !schema["user"].GetParams().GetKeywordIndexParams().GetIsTenant() {
		t.Fatalf("schema = %v", schema)
	}

	wantErr(t, index("g", qdrant.FieldType_FieldTypeGeo, nil), codes.Unimplemented, "FieldTypeGeo")
	wantErr(t, index("x", qdrant.FieldType_FieldTypeKeyword, qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{})), codes.InvalidArgument, "do not match")
	wantErr(t, index("x", qdrant.FieldType_FieldTypeText, qdrant.NewPayloadIndexParamsText(&qdrant.TextIndexParams{Tokenizer: qdrant.TokenizerType_Prefix})), codes.Unimplemented, "tokenizer")
	wantErr(t, index("x", qdrant.FieldType_FieldTypeText, qdrant.NewPayloadIndexParamsText(&qdrant.TextIndexParams{Stopwords: &qdrant.StopwordsSet{}})), codes.Unimplemented, "qdrant.TextIndexParams.stopwords")
	wantErr(t, index("x", qdrant.FieldType_FieldTypeInteger, qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(false), Range: qdrant.PtrOf(false)})), codes.InvalidArgument, "both disabled")
	_, err := c.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{CollectionName: "m", FieldName: "x"})
	wantErr(t, err, codes.InvalidArgument, "field_type")
}
