package qdranttest

import (
	"context"
	"math"
	"sort"
	"strconv"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"
)

// collection is the state of one collection; guarded by Server.mu.
type collection struct {
	unnamed       bool                                  // vectors_config was a single VectorParams (vector name "")
	dense         map[string]*qdrant.VectorParams       // by vector name ("" = unnamed)
	sparse        map[string]*qdrant.SparseVectorParams // by vector name
	onDiskPayload bool
	indexes       map[string]*fieldIndex // by field name (payload path)
	points        map[pointID]*point
	opSeq         uint64 // last operation number (UpdateResult.operation_id, ScoredPoint.version)
}

type fieldIndex struct {
	fieldType qdrant.FieldType
	params    *qdrant.PayloadIndexParams // as given, may be nil
}

// rangeCapable reports whether the index supports Range conditions, which
// order_by requires [points.rs]: integer (unless range=false), float, datetime.
func (ix *fieldIndex) rangeCapable() bool {
	switch ix.fieldType {
	case qdrant.FieldType_FieldTypeInteger:
		ip := ix.params.GetIntegerIndexParams()
		return ip == nil || ip.Range == nil || ip.GetRange()
	case qdrant.FieldType_FieldTypeFloat, qdrant.FieldType_FieldTypeDatetime:
		return true
	}
	return false
}

type point struct {
	id      pointID
	payload map[string]*qdrant.Value
	dense   map[string][]float32
	sparse  map[string]sparseVec
	version uint64
}

// sparseVec is kept sorted by index. DOUBLE CHOICE: vectors are returned
// sorted by index, whatever order they were uploaded in.
type sparseVec struct {
	indices []uint32
	values  []float32
}

// pointID is a canonical point id: a UUID in lowercase hyphenated form, or a
// number when uuid == "".
type pointID struct {
	uuid string
	num  uint64
}

// less orders ids as Qdrant does: ExtendedPointId is enum {NumId(u64),
// Uuid(Uuid)} with derived Ord, so all numbers come before all UUIDs, and
// UUIDs compare as 128-bit numbers (= their canonical lowercase strings).
func (a pointID) less(b pointID) bool {
	if (a.uuid == "") != (b.uuid == "") {
		return a.uuid == ""
	}
	if a.uuid == "" {
		return a.num < b.num
	}
	return a.uuid < b.uuid
}

func (a pointID) proto() *qdrant.PointId {
	if a.uuid != "" {
		return qdrant.NewIDUUID(a.uuid)
	}
	return qdrant.NewIDNum(a.num)
}

func (a pointID) String() string {
	if a.uuid != "" {
		return a.uuid
	}
	return strconv.FormatUint(a.num, 10)
}

// parseID converts a wire id. UUIDs are parsed like Rust's Uuid::parse_str
// (hyphenated, simple, braced or urn form) and canonicalised; anything else is
// rejected with InvalidArgument "Unable to parse UUID: …" (Qdrant's gRPC
// PointId conversion).
func parseID(id *qdrant.PointId) (pointID, error) {
	switch v := id.GetPointIdOptions().(type) {
	case *qdrant.PointId_Num:
		return pointID{num: v.Num}, nil
	case *qdrant.PointId_Uuid:
		u, err := uuid.Parse(v.Uuid)
		if err != nil {
			return pointID{}, invalidArg("Unable to parse UUID: %s", v.Uuid)
		}
		return pointID{uuid: u.String()}, nil
	}
	return pointID{}, invalidArg("No ID options provided")
}

func parseIDs(ids []*qdrant.PointId) ([]pointID, error) {
	out := make([]pointID, 0, len(ids))
	for _, id := range ids {
		p, err := parseID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// sorted returns the points in id order.
func (c *collection) sorted() []*point {
	out := make([]*point, 0, len(c.points))
	for _, p := range c.points {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id.less(out[j].id) })
	return out
}

type collectionsService struct {
	qdrant.UnimplementedCollectionsServer
	s *Server
}

func (cs collectionsService) CollectionExists(_ context.Context, req *qdrant.CollectionExistsRequest) (*qdrant.CollectionExistsResponse, error) {
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	_, ok := cs.s.collections[req.GetCollectionName()]
	return &qdrant.CollectionExistsResponse{Result: &qdrant.CollectionExists{Exists: ok}}, nil
}

// Create models dense vectors (one unnamed VectorParams or a named map) with
// Cosine or Dot distance, and named sparse vectors with modifier None or Idf.
func (cs collectionsService) Create(_ context.Context, req *qdrant.CreateCollection) (*qdrant.CollectionOperationResponse, error) {
	name := req.GetCollectionName()
	if name == "" {
		return nil, invalidArg("Validation error: collection_name must not be empty")
	}
	c := &collection{
		dense:         map[string]*qdrant.VectorParams{},
		sparse:        map[string]*qdrant.SparseVectorParams{},
		onDiskPayload: req.GetOnDiskPayload(),
		indexes:       map[string]*fieldIndex{},
		points:        map[pointID]*point{},
	}
	switch cfg := req.GetVectorsConfig().GetConfig().(type) {
	case *qdrant.VectorsConfig_Params:
		c.unnamed = true
		c.dense[""] = cfg.Params
	case *qdrant.VectorsConfig_ParamsMap:
		for n, p := range cfg.ParamsMap.GetMap() {
			c.dense[n] = p
		}
	}
	for n, p := range c.dense {
		if p.GetSize() == 0 || p.GetSize() > 65536 {
			return nil, invalidArg("Validation error: vector %q: size: value %d invalid, must be from 1 to 65536", n, p.GetSize())
		}
		switch p.GetDistance() {
		case qdrant.Distance_Cosine, qdrant.Distance_Dot:
		default:
			return nil, unmodelled("Collections.Create: distance %v is not modelled (Cosine and Dot are)", p.GetDistance())
		}
		if p.Datatype != nil && p.GetDatatype() != qdrant.Datatype_Default && p.GetDatatype() != qdrant.Datatype_Float32 {
			return nil, unmodelled("Collections.Create: datatype %v is not modelled (float32 is)", p.GetDatatype())
		}
		c.dense[n] = proto.Clone(p).(*qdrant.VectorParams)
	}
	for n, p := range req.GetSparseVectorsConfig().GetMap() {
		if _, clash := c.dense[n]; clash {
			return nil, wrongInput("Vector name %q is used for both dense and sparse vectors", n)
		}
		if m := p.GetModifier(); m != qdrant.Modifier_None && m != qdrant.Modifier_Idf {
			return nil, unmodelled("Collections.Create: sparse modifier %v is not modelled", m)
		}
		c.sparse[n] = proto.Clone(p).(*qdrant.SparseVectorParams)
	}
	if len(c.dense) == 0 && len(c.sparse) == 0 {
		// DOUBLE CHOICE: a collection without any vector is not modelled.
		return nil, unmodelled("Collections.Create: a collection without vectors_config or sparse_vectors_config is not modelled")
	}
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	if _, exists := cs.s.collections[name]; exists {
		return nil, wrongInput("Collection `%s` already exists!", name)
	}
	cs.s.collections[name] = c
	return &qdrant.CollectionOperationResponse{Result: true}, nil
}

// Get returns the configuration (vector sizes, distances, sparse names and
// modifiers), the payload schema (indexes, with the number of points having
// the field) and the point count. Fields the double has no notion of
// (optimizer, WAL, HNSW defaults) are present but empty.
func (cs collectionsService) Get(_ context.Context, req *qdrant.GetCollectionInfoRequest) (*qdrant.GetCollectionInfoResponse, error) {
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	c, err := cs.s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	params := &qdrant.CollectionParams{
		ShardNumber:            1,
		OnDiskPayload:          c.onDiskPayload,
		ReplicationFactor:      qdrant.PtrOf(uint32(1)),
		WriteConsistencyFactor: qdrant.PtrOf(uint32(1)),
	}
	if c.unnamed {
		params.VectorsConfig = qdrant.NewVectorsConfig(proto.Clone(c.dense[""]).(*qdrant.VectorParams))
	} else if len(c.dense) > 0 {
		m := map[string]*qdrant.VectorParams{}
		for n, p := range c.dense {
			m[n] = proto.Clone(p).(*qdrant.VectorParams)
		}
		params.VectorsConfig = qdrant.NewVectorsConfigMap(m)
	}
	if len(c.sparse) > 0 {
		m := map[string]*qdrant.SparseVectorParams{}
		for n, p := range c.sparse {
			m[n] = proto.Clone(p).(*qdrant.SparseVectorParams)
		}
		params.SparseVectorsConfig = qdrant.NewSparseVectorsConfig(m)
	}
	schema := map[string]*qdrant.PayloadSchemaInfo{}
	for field, ix := range c.indexes {
		path, _ := parsePath(field)
		var n uint64
		for _, p := range c.points {
			if len(valuesAt(p.payload, path, true)) > 0 {
				n++
			}
		}
		info := &qdrant.PayloadSchemaInfo{DataType: schemaType[ix.fieldType], Points: qdrant.PtrOf(n)}
		if ix.params != nil {
			info.Params = proto.Clone(ix.params).(*qdrant.PayloadIndexParams)
		}
		schema[field] = info
	}
	return &qdrant.GetCollectionInfoResponse{Result: &qdrant.CollectionInfo{
		Status:          qdrant.CollectionStatus_Green,
		OptimizerStatus: &qdrant.OptimizerStatus{Ok: true},
		SegmentsCount:   1,
		Config: &qdrant.CollectionConfig{
			Params:          params,
			HnswConfig:      &qdrant.HnswConfigDiff{},
			OptimizerConfig: &qdrant.OptimizersConfigDiff{},
			WalConfig:       &qdrant.WalConfigDiff{},
		},
		PayloadSchema: schema,
		PointsCount:   qdrant.PtrOf(uint64(len(c.points))),
		UpdateQueue:   &qdrant.UpdateQueueInfo{},
	}}, nil
}

var schemaType = map[qdrant.FieldType]qdrant.PayloadSchemaType{
	qdrant.FieldType_FieldTypeKeyword:  qdrant.PayloadSchemaType_Keyword,
	qdrant.FieldType_FieldTypeInteger:  qdrant.PayloadSchemaType_Integer,
	qdrant.FieldType_FieldTypeFloat:    qdrant.PayloadSchemaType_Float,
	qdrant.FieldType_FieldTypeText:     qdrant.PayloadSchemaType_Text,
	qdrant.FieldType_FieldTypeBool:     qdrant.PayloadSchemaType_Bool,
	qdrant.FieldType_FieldTypeDatetime: qdrant.PayloadSchemaType_Datetime,
}

// Delete answers result=false for a missing collection; the go-client turns
// that into an error "failed to delete collection". DOUBLE CHOICE: believed
// to match TableOfContent::delete_collection (Ok(false) when nothing was
// removed); confirm against a real server.
func (cs collectionsService) Delete(_ context.Context, req *qdrant.DeleteCollection) (*qdrant.CollectionOperationResponse, error) {
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	_, ok := cs.s.collections[req.GetCollectionName()]
	delete(cs.s.collections, req.GetCollectionName())
	return &qdrant.CollectionOperationResponse{Result: ok}, nil
}

// List returns the collections sorted by name (DOUBLE CHOICE: Qdrant does not
// specify an order).
func (cs collectionsService) List(context.Context, *qdrant.ListCollectionsRequest) (*qdrant.ListCollectionsResponse, error) {
	cs.s.mu.Lock()
	defer cs.s.mu.Unlock()
	names := make([]string, 0, len(cs.s.collections))
	for n := range cs.s.collections {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &qdrant.ListCollectionsResponse{}
	for _, n := range names {
		out.Collections = append(out.Collections, &qdrant.CollectionDescription{Name: n})
	}
	return out, nil
}

// createFieldIndex records a payload index (keyword, integer, float, text,
// bool, datetime). Creating the same index again replaces it and is not an
// error. Indexes matter to the double only for order_by (range capability)
// and the collection info; filtering works on any field, indexed or not, as
// in Qdrant without strict mode [notes 2(a).7].
func (s *Server) createFieldIndex(req *qdrant.CreateFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.collection(req.GetCollectionName())
	if err != nil {
		return nil, err
	}
	if _, err := parsePath(req.GetFieldName()); err != nil {
		return nil, err
	}
	if req.FieldType == nil {
		return nil, invalidArg("qdranttest: field_type is required (inferring it from field_index_params is not modelled)")
	}
	ft := req.GetFieldType()
	p := req.GetFieldIndexParams()
	var match bool
	switch ft {
	case qdrant.FieldType_FieldTypeKeyword:
		match = p.GetKeywordIndexParams() != nil
	case qdrant.FieldType_FieldTypeInteger:
		ip := p.GetIntegerIndexParams()
		match = ip != nil
		if ip != nil && ip.Lookup != nil && ip.Range != nil && !ip.GetLookup() && !ip.GetRange() {
			return nil, wrongInput("the 'lookup' and 'range' capabilities can't be both disabled")
		}
	case qdrant.FieldType_FieldTypeFloat:
		match = p.GetFloatIndexParams() != nil
	case qdrant.FieldType_FieldTypeBool:
		match = p.GetBoolIndexParams() != nil
	case qdrant.FieldType_FieldTypeDatetime:
		match = p.GetDatetimeIndexParams() != nil
	case qdrant.FieldType_FieldTypeText:
		tp := p.GetTextIndexParams()
		match = tp != nil
		if tk := tp.GetTokenizer(); tk != qdrant.TokenizerType_Unknown && tk != qdrant.TokenizerType_Word {
			return nil, unmodelled("Points.CreateFieldIndex: text tokenizer %v is not modelled (word is)", tk)
		}
		if tp != nil && tp.Lowercase != nil && !tp.GetLowercase() {
			return nil, unmodelled("Points.CreateFieldIndex: text index with lowercase=false is not modelled")
		}
	default:
		return nil, unmodelled("Points.CreateFieldIndex: field type %v is not modelled", ft)
	}
	if p != nil && !match {
		return nil, wrongInput("field_index_params do not match field_type %v", ft)
	}
	ix := &fieldIndex{fieldType: ft}
	if p != nil {
		ix.params = proto.Clone(p).(*qdrant.PayloadIndexParams)
	}
	c.indexes[req.GetFieldName()] = ix
	return c.opResult(req.Wait), nil
}

// opResult consumes an operation number. Everything is applied synchronously,
// so Wait=true answers Completed; Wait unset/false answers Acknowledged, as
// Qdrant does when it returns before the change is applied [docs Points].
func (c *collection) opResult(wait *bool) *qdrant.PointsOperationResponse {
	c.opSeq++
	st := qdrant.UpdateStatus_Acknowledged
	if wait != nil && *wait {
		st = qdrant.UpdateStatus_Completed
	}
	return &qdrant.PointsOperationResponse{Result: &qdrant.UpdateResult{OperationId: qdrant.PtrOf(c.opSeq), Status: st}}
}

// normalize is Qdrant's cosine preprocessing (segment spaces/simple.rs
// cosine_preprocess): vectors of zero length or already of unit length are
// kept as they are, others are divided by their length, in f32.
func normalize(v []float32) []float32 {
	const f32Epsilon = 1.1920929e-07 // Rust f32::EPSILON
	var sq float32
	for _, x := range v {
		sq += x * x
	}
	out := append([]float32(nil), v...)
	if sq < f32Epsilon || math.Abs(float64(sq)-1) <= 1e-6 {
		return out
	}
	n := float32(math.Sqrt(float64(sq)))
	for i := range out {
		out[i] /= n
	}
	return out
}
