package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// The MemOS open-source API (src/memos/api/routers/server_router.py, v2.0.1): field names and
// defaults as there, so MemOS clients and scripts work unchanged.

func (h *Handler) productRoutes() {
	h.handle("POST /product/add", routeOpts{}, decoded(h, h.productAdd))
	h.handle("POST /product/search", routeOpts{}, decoded(h, h.productSearch))
	h.handle("POST /product/get_memory", routeOpts{}, decoded(h, h.productGetMemory))
	h.handle("GET /product/get_memory/{id}", routeOpts{}, h.productGetOne)
	h.handle("POST /product/delete_memory", routeOpts{}, decoded(h, h.productDelete))
	h.handle("POST /product/feedback", routeOpts{}, decoded(h, h.productFeedback))
	h.handle("POST /product/chat/complete", routeOpts{}, decoded(h, h.productChatComplete))
	h.handle("POST /product/chat/stream", routeOpts{noLimit: true}, decoded(h, h.productChatStream))
	h.handle("POST /product/get_status", routeOpts{}, decoded(h, h.getStatus))
}

type productAddRequest struct {
	UserID          string            `json:"user_id"`
	WritableCubeIDs []string          `json:"writable_cube_ids" alias:"mem_cube_id"`
	SessionID       string            `json:"session_id" alias:"conversation_id"`
	Messages        any               `json:"messages"`
	MemoryContent   string            `json:"memory_content"`
	AsyncMode       string            `json:"async_mode"`
	Mode            string            `json:"mode"`
	CustomTags      []string          `json:"custom_tags" alias:"tags"`
	Info            map[string]string `json:"info"`
	Source          string            `json:"source"`
	ExpiresAt       string            `json:"expires_at"`
	TTL             string            `json:"ttl"`
	IsFeedback      bool              `json:"is_feedback"`
	// Accepted and not used: MemOS internals and features this server does not have.
	ChatHistory   any    `json:"chat_history"`
	DocPath       string `json:"doc_path"`
	TaskID        string `json:"task_id"`
	ManagerUserID string `json:"manager_user_id"`
	ProjectID     string `json:"project_id"`
	Operation     any    `json:"operation"`
	IsUploadSkill bool   `json:"is_upload_skill"`
}

// addedItem is one memory /product/add made.
type addedItem struct {
	Memory     string `json:"memory"`
	MemoryID   string `json:"memory_id"`
	MemoryType string `json:"memory_type"`
	CubeID     string `json:"cube_id"`
}

func (h *Handler) productAdd(w http.ResponseWriter, r *http.Request, req productAddRequest) {
	if req.DocPath != "" {
		h.fail(w, r, memstore.Invalid("doc_path", "documents are not supported by this server", "send the text as messages"))
		return
	}
	msgs, err := toMessages("messages", req.Messages)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.MemoryContent != "" {
		msgs = append(msgs, memstore.Message{Role: memstore.RoleUser, Content: req.MemoryContent})
	}
	user := h.user(r.Context(), req.UserID)
	if req.IsFeedback {
		h.feedbackFromMessages(w, r, user, req.SessionID, msgs, req.AsyncMode)
		return
	}
	if req.AsyncMode == "" {
		req.AsyncMode = memstore.AsyncMode // MemOS's default
	}
	info := withSource(req.Info, req.Source)
	cubes := req.WritableCubeIDs
	if len(cubes) == 0 {
		cubes = []string{""} // the user's own cube
	}
	expires, err := parseOptionalTime("expires_at", req.ExpiresAt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	added := []addedItem{}
	var taskIDs, notes []string
	for _, cube := range cubes {
		res, err := h.cfg.Core.AddMessages(r.Context(), memstore.AddRequest{UserID: user, CubeID: cube, ConversationID: req.SessionID,
			Messages: msgs, Mode: req.Mode, Tags: req.CustomTags, Info: info, ExpiresAt: expires, TTL: req.TTL, AsyncMode: req.AsyncMode})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, m := range res.Memories {
			added = append(added, addedItem{Memory: m.Memory, MemoryID: m.ID, MemoryType: string(m.MemoryType), CubeID: m.CubeID})
		}
		if res.TaskID != "" {
			taskIDs = append(taskIDs, res.TaskID)
		}
		notes = append(notes, res.Notes...)
	}
	msg := "Memory added successfully"
	if len(taskIDs) > 0 {
		msg += "; refining in the background (task " + strings.Join(taskIDs, ", ") + ")"
	}
	if len(notes) > 0 {
		msg += ". Note: " + strings.Join(notes, " ")
	}
	env := envelope{Code: 200, Message: msg, Data: added}
	if len(taskIDs) > 0 {
		env.TaskID = taskIDs[0]
	}
	writeJSON(w, http.StatusOK, env)
}

type productSearchRequest struct {
	Query             string         `json:"query"`
	UserID            string         `json:"user_id"`
	ReadableCubeIDs   []string       `json:"readable_cube_ids" alias:"mem_cube_id"`
	Mode              string         `json:"mode"`
	SessionID         string         `json:"session_id" alias:"conversation_id"`
	TopK              *int           `json:"top_k"`
	Relativity        *float64       `json:"relativity"`
	Dedup             string         `json:"dedup"`
	IncludePreference *bool          `json:"include_preference"`
	PrefTopK          *int           `json:"pref_top_k"`
	Filter            map[string]any `json:"filter"`
	SearchMemoryType  string         `json:"search_memory_type"`
	// Accepted and not used.
	Rerank             any `json:"rerank"`
	SearchToolMemory   any `json:"search_tool_memory"`
	ToolMemTopK        any `json:"tool_mem_top_k"`
	IncludeSkillMemory any `json:"include_skill_memory"`
	SkillMemTopK       any `json:"skill_mem_top_k"`
	InternetSearch     any `json:"internet_search"`
	ChatHistory        any `json:"chat_history"`
	Threshold          any `json:"threshold"`
	Source             any `json:"source"`
	ReferenceTime      any `json:"reference_time"`
	NeighborDiscovery  any `json:"neighbor_discovery"`
	ContextFormat      any `json:"context_format"`
}

type searchData struct {
	TextMem    []cubeGroup `json:"text_mem"`
	PrefMem    []cubeGroup `json:"pref_mem"`
	ToolMem    []cubeGroup `json:"tool_mem"`
	SkillMem   []cubeGroup `json:"skill_mem"`
	ActMem     []any       `json:"act_mem"`
	ParaMem    []any       `json:"para_mem"`
	PrefString string      `json:"pref_string"`
	PrefNote   string      `json:"pref_note"`
}

func (h *Handler) productSearch(w http.ResponseWriter, r *http.Request, req productSearchRequest) {
	user := h.user(r.Context(), req.UserID)
	facts, prefs := true, req.IncludePreference
	switch req.SearchMemoryType {
	case "", "All":
	case "PreferenceMemory":
		facts, prefs = false, ptr(true)
	case "WorkingMemory", "LongTermMemory", "UserMemory", "OuterMemory", "RawFileMemory", "AllSummaryMemory":
		prefs = ptr(false)
	case "ToolSchemaMemory", "ToolTrajectoryMemory", "SkillMemory":
		facts, prefs = false, ptr(false) // this server keeps no tool or skill memories
	default:
		h.fail(w, r, memstore.Invalidf("search_memory_type", "use All, LongTermMemory, UserMemory, WorkingMemory or PreferenceMemory", "%q is not a memory type", req.SearchMemoryType))
		return
	}
	res, err := h.cfg.Core.Search(r.Context(), memstore.SearchRequest{UserID: user, Query: req.Query, TopK: req.TopK, Dedup: req.Dedup,
		CubeIDs: req.ReadableCubeIDs, IncludePreference: prefs, PrefTopK: req.PrefTopK, Relativity: req.Relativity,
		ConversationID: req.SessionID, Mode: req.Mode, Filter: req.Filter})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !facts {
		res.Memories = nil
	}
	cube := user
	if len(req.ReadableCubeIDs) > 0 {
		cube = req.ReadableCubeIDs[0]
	}
	data := searchData{TextMem: groupHits(res.Memories, cube, false), PrefMem: groupHits(res.Preferences, cube, true),
		ToolMem: []cubeGroup{}, SkillMem: []cubeGroup{}, ActMem: []any{}, ParaMem: []any{}}
	data.PrefString, data.PrefNote = prefString(res.Preferences)
	msg := "Search completed successfully"
	if len(res.Notes) > 0 {
		msg += ". Note: " + strings.Join(res.Notes, " ")
	}
	writeOK(w, msg, data)
}

type productGetMemoryRequest struct {
	UserID            string         `json:"user_id"`
	MemCubeID         string         `json:"mem_cube_id"`
	IncludePreference *bool          `json:"include_preference"`
	Page              *int           `json:"page"`
	PageSize          *int           `json:"page_size" alias:"size"`
	Filter            map[string]any `json:"filter"`
	IncludeArchived   *bool          `json:"include_archived"`
	IncludeExpired    *bool          `json:"include_expired"`
	// Accepted and not used: this server keeps no tool or skill memories.
	IncludeToolMemory  any `json:"include_tool_memory"`
	IncludeSkillMemory any `json:"include_skill_memory"`
}

type getMemoryData struct {
	TextMem  []cubeGroup `json:"text_mem"`
	PrefMem  []cubeGroup `json:"pref_mem"`
	ToolMem  []cubeGroup `json:"tool_mem"`
	SkillMem []cubeGroup `json:"skill_mem"`
	Page     int         `json:"page"`
	PageSize int         `json:"page_size"`
}

// listAllLimit bounds a get_memory without paging (MemOS returns everything).
const listAllLimit = 10000

func (h *Handler) productGetMemory(w http.ResponseWriter, r *http.Request, req productGetMemoryRequest) {
	user := h.user(r.Context(), req.UserID)
	list := memstore.ListRequest{UserID: user, CubeID: req.MemCubeID, IncludePreference: req.IncludePreference,
		IncludeArchived: deref(req.IncludeArchived, true), IncludeExpired: deref(req.IncludeExpired, true), Filter: req.Filter}
	all := req.Page == nil || req.PageSize == nil
	if !all {
		// MemOS clamps instead of refusing.
		list.Page, list.PageSize = ptr(max(*req.Page, 1)), req.PageSize
		if *req.PageSize < 1 {
			list.PageSize = ptr(memstore.DefaultPageSize)
		}
		list.PageSize = ptr(min(*list.PageSize, memstore.MaxPageSize))
	}
	var facts, prefs []memstore.ListedMemory
	var res memstore.ListResult
	for page := 1; ; page++ {
		if all {
			list.Page, list.PageSize = ptr(page), ptr(memstore.MaxPageSize)
		}
		var err error
		if res, err = h.cfg.Core.List(r.Context(), list); err != nil {
			h.fail(w, r, err)
			return
		}
		facts, prefs = append(facts, res.Memories...), append(prefs, res.Preferences...)
		if !all || (len(res.Memories) < memstore.MaxPageSize && len(res.Preferences) < memstore.MaxPageSize) ||
			len(facts)+len(prefs) >= listAllLimit {
			break
		}
	}
	cube := req.MemCubeID
	if cube == "" {
		cube = user
	}
	items := func(ms []memstore.ListedMemory) []item {
		out := make([]item, len(ms))
		for i, m := range ms {
			out[i] = productItem(m.Memory, m.Expired, nil)
		}
		return out
	}
	data := getMemoryData{
		TextMem:  []cubeGroup{{CubeID: cube, Memories: items(facts), TotalNodes: ptr(res.MemoriesTotal)}},
		PrefMem:  []cubeGroup{},
		ToolMem:  []cubeGroup{},
		SkillMem: []cubeGroup{},
		Page:     res.Page, PageSize: res.PageSize,
	}
	if deref(req.IncludePreference, true) {
		data.PrefMem = []cubeGroup{{CubeID: cube, Memories: items(prefs), TotalNodes: ptr(res.PreferencesTotal)}}
	}
	if all {
		data.Page, data.PageSize = 1, len(facts)+len(prefs)
	}
	writeOK(w, "Memories retrieved successfully", data)
}

func (h *Handler) productGetOne(w http.ResponseWriter, r *http.Request) {
	m, err := h.cfg.Core.GetMemory(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeOK(w, "Memory retrieved successfully", productItem(m.Memory, m.Expired, nil))
}

type productDeleteRequest struct {
	MemoryIDs       []string       `json:"memory_ids"`
	UserID          string         `json:"user_id"`
	SessionID       string         `json:"session_id" alias:"conversation_id"`
	Filter          map[string]any `json:"filter"`
	WritableCubeIDs []string       `json:"writable_cube_ids"`
	ExpiredOnly     bool           `json:"expired_only"`
	FileIDs         []string       `json:"file_ids"`
	// Accepted and not used.
	AutoCleanupWorking any `json:"auto_cleanup_working"`
}

type deleteData struct {
	Status       string   `json:"status"`
	DeletedCount int      `json:"deleted_count"`
	DeletedIDs   []string `json:"deleted_ids"`
	NotFoundIDs  []string `json:"not_found_ids"`
}

func (h *Handler) productDelete(w http.ResponseWriter, r *http.Request, req productDeleteRequest) {
	if len(req.FileIDs) > 0 {
		h.fail(w, r, memstore.Invalid("file_ids", "this server keeps no files", "delete by memory_ids, or by user_id"))
		return
	}
	res, err := h.delete(r, req.MemoryIDs, req.UserID, req.SessionID, req.Filter, req.WritableCubeIDs, req.ExpiredOnly)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeOK(w, "Memories deleted successfully", deleteData{Status: "success", DeletedCount: res.DeletedCount,
		DeletedIDs: res.DeletedIDs, NotFoundIDs: res.NotFoundIDs})
}

// delete runs a delete in one of MemOS's modes: by ids (scoping fields ignored, as in MemOS), or a
// user's memories narrowed by conversation, cubes, filter and expiry.
func (h *Handler) delete(r *http.Request, ids []string, user, conversation string, filter map[string]any, cubes []string, expiredOnly bool) (memstore.DeleteResult, error) {
	req := memstore.DeleteRequest{MemoryIDs: ids}
	if ids == nil {
		req = memstore.DeleteRequest{UserID: user, ConversationID: conversation, Filter: filter, ExpiredOnly: expiredOnly}
		if len(cubes) > 0 {
			if req.UserID == "" {
				req.UserID = h.user(r.Context(), "")
			}
			cubeCond := map[string]any{"cube_id": map[string]any{"in": toAny(cubes)}}
			if len(filter) > 0 {
				req.Filter = map[string]any{"and": []any{filter, cubeCond}}
			} else {
				req.Filter = cubeCond
			}
		}
	}
	return h.cfg.Core.Delete(r.Context(), req)
}

type productFeedbackRequest struct {
	UserID             string   `json:"user_id"`
	History            any      `json:"history"`
	FeedbackContent    string   `json:"feedback_content"`
	FeedbackTime       string   `json:"feedback_time"`
	RetrievedMemoryIDs []string `json:"retrieved_memory_ids"`
	WritableCubeIDs    []string `json:"writable_cube_ids" alias:"mem_cube_id"`
	SessionID          string   `json:"session_id" alias:"conversation_id"`
	AsyncMode          string   `json:"async_mode"`
	// Accepted and not used.
	CorrectedAnswer       any      `json:"corrected_answer"`
	Info                  any      `json:"info"`
	TaskID                any      `json:"task_id"`
	AllowKnowledgebaseIDs []string `json:"allow_knowledgebase_ids"`
}

// feedbackRecord is MemOS's sync feedback record.
type feedbackRecord struct {
	Answer string `json:"answer"`
	Record struct {
		Add    []feedbackAdd    `json:"add"`
		Update []feedbackUpdate `json:"update"`
	} `json:"record"`
	TaskID string `json:"task_id,omitempty"`
	Status string `json:"status,omitempty"`
}

type feedbackAdd struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

type feedbackUpdate struct {
	ID           string `json:"id"`
	Text         string `json:"text"`
	ArchivedID   string `json:"archived_id"`
	OriginMemory string `json:"origin_memory"`
}

func (h *Handler) productFeedback(w http.ResponseWriter, r *http.Request, req productFeedbackRequest) {
	history, err := toMessages("history", req.History)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	at, err := parseOptionalTime("feedback_time", req.FeedbackTime)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.AsyncMode == "" {
		req.AsyncMode = memstore.AsyncMode // MemOS's default
	}
	res, err := h.cfg.Core.Feedback(r.Context(), memstore.FeedbackRequest{UserID: h.user(r.Context(), req.UserID),
		ConversationID: req.SessionID, FeedbackContent: req.FeedbackContent, FeedbackTime: deref(at, at0), History: history,
		RetrievedMemoryIDs: req.RetrievedMemoryIDs, WritableCubeIDs: req.WritableCubeIDs,
		AllowKnowledgebaseIDs: req.AllowKnowledgebaseIDs, AsyncMode: req.AsyncMode})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeFeedback(w, res)
}

// feedbackFromMessages serves /product/add with is_feedback: the last user message is the
// feedback, the messages before it its history.
func (h *Handler) feedbackFromMessages(w http.ResponseWriter, r *http.Request, user, conversation string, msgs []memstore.Message, async string) {
	last := -1
	for i, m := range msgs {
		if m.Role == memstore.RoleUser {
			last = i
		}
	}
	if last < 0 {
		h.fail(w, r, memstore.Invalid("messages", "has no user message to take as the feedback", "with is_feedback, end messages with the user's feedback"))
		return
	}
	if async == "" {
		async = memstore.AsyncMode
	}
	res, err := h.cfg.Core.Feedback(r.Context(), memstore.FeedbackRequest{UserID: user, ConversationID: conversation,
		FeedbackContent: msgs[last].Content, History: msgs[:last], AsyncMode: async})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeFeedback(w, res)
}

func writeFeedback(w http.ResponseWriter, res memstore.FeedbackResult) {
	var rec feedbackRecord
	rec.Record.Add, rec.Record.Update = []feedbackAdd{}, []feedbackUpdate{}
	for _, a := range res.Added {
		rec.Record.Add = append(rec.Record.Add, feedbackAdd{ID: a.ID, Text: textOf(a)})
	}
	for _, u := range res.Updated {
		rec.Record.Update = append(rec.Record.Update, feedbackUpdate{ID: u.ID, Text: u.Memory, ArchivedID: u.PreviousID, OriginMemory: u.PreviousMemory})
	}
	rec.TaskID, rec.Status = res.TaskID, res.TaskStatus
	msg := "Feedback applied"
	if res.TaskID != "" {
		msg = "Feedback queued; it is applied in the background (task " + res.TaskID + ")"
	}
	if len(res.Notes) > 0 {
		msg += ". Note: " + strings.Join(res.Notes, " ")
	}
	writeJSON(w, http.StatusOK, envelope{Code: 200, Message: msg, Data: []feedbackRecord{rec}, TaskID: res.TaskID})
}

func textOf(a memstore.AddedMemory) string {
	if a.Preference != "" {
		return a.Preference
	}
	return a.Memory
}

type productChatRequest struct {
	UserID             string   `json:"user_id"`
	Query              string   `json:"query"`
	History            any      `json:"history" alias:"chat_history"`
	SystemPrompt       string   `json:"system_prompt"`
	TopK               *int     `json:"top_k" alias:"memory_limit_number"`
	SessionID          string   `json:"session_id" alias:"conversation_id"`
	IncludePreference  *bool    `json:"include_preference"`
	Threshold          *float64 `json:"threshold"`
	ModelNameOrPath    string   `json:"model_name_or_path" alias:"model_name"`
	MaxTokens          *int     `json:"max_tokens"`
	Temperature        *float64 `json:"temperature"`
	AddMessageOnAnswer *bool    `json:"add_message_on_answer"`
	Stream             bool     `json:"stream"`
	// Accepted and not used.
	ReadableCubeIDs       any `json:"readable_cube_ids"`
	WritableCubeIDs       any `json:"writable_cube_ids"`
	MemCubeID             any `json:"mem_cube_id"`
	Mode                  any `json:"mode"`
	PrefTopK              any `json:"pref_top_k" alias:"preference_limit_number"`
	Relativity            any `json:"relativity"`
	Filter                any `json:"filter"`
	TopP                  any `json:"top_p"`
	InternetSearch        any `json:"internet_search"`
	ManagerUserID         any `json:"manager_user_id"`
	ProjectID             any `json:"project_id"`
	Moscube               any `json:"moscube"`
	KnowledgebaseIDs      any `json:"knowledgebase_ids"`
	AppID                 any `json:"app_id"`
	AgentID               any `json:"agent_id"`
	AsyncMode             any `json:"async_mode"`
	Tags                  any `json:"tags"`
	Info                  any `json:"info"`
	AllowPublic           any `json:"allow_public"`
	AllowKnowledgebaseIDs any `json:"allow_knowledgebase_ids"`
	IncludeToolMemory     any `json:"include_tool_memory"`
	ForceStop             any `json:"force_stop"`
	UseMemOSCube          any `json:"use_mem_os_cube"`
	Source                any `json:"source"`
}

func (h *Handler) chatRequest(r *http.Request, req productChatRequest) (memstore.ChatRequest, error) {
	history, err := toMessages("history", req.History)
	if err != nil {
		return memstore.ChatRequest{}, err
	}
	return memstore.ChatRequest{UserID: h.user(r.Context(), req.UserID), ConversationID: req.SessionID, Query: req.Query,
		SystemPrompt: req.SystemPrompt, History: history, TopK: req.TopK, Threshold: req.Threshold,
		IncludePreference: req.IncludePreference, AddMessageOnAnswer: req.AddMessageOnAnswer, Model: req.ModelNameOrPath,
		Temperature: req.Temperature, MaxTokens: req.MaxTokens}, nil
}

type chatData struct {
	Response       string                `json:"response"`
	Reasoning      *string               `json:"reasoning"`
	ConversationID string                `json:"conversation_id"`
	MemoriesUsed   []memstore.UsedMemory `json:"memories_used"`
}

func (h *Handler) productChatComplete(w http.ResponseWriter, r *http.Request, req productChatRequest) {
	h.chat(w, r, req, "Chat completed successfully")
}

func (h *Handler) chat(w http.ResponseWriter, r *http.Request, req productChatRequest, message string) {
	creq, err := h.chatRequest(r, req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Stream {
		h.stream(w, r, creq)
		return
	}
	res, err := h.cfg.Core.Chat(r.Context(), creq)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := chatData{Response: res.Response, ConversationID: res.ConversationID, MemoriesUsed: res.MemoriesUsed}
	if res.Reasoning != "" {
		data.Reasoning = &res.Reasoning
	}
	if len(res.Notes) > 0 {
		message += ". Note: " + strings.Join(res.Notes, " ")
	}
	writeOK(w, message, data)
}

func (h *Handler) productChatStream(w http.ResponseWriter, r *http.Request, req productChatRequest) {
	req.Stream = true
	h.chat(w, r, req, "")
}

// stream answers a chat as server-sent events, MemOS's chat/stream format: reference, then text
// and reasoning pieces, then end; a failure is an error event.
func (h *Handler) stream(w http.ResponseWriter, r *http.Request, req memstore.ChatRequest) {
	flusher, _ := w.(http.Flusher)
	started := false
	send := func(v any) {
		if !started {
			w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("X-Accel-Buffering", "no")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	req.Stream = func(e memstore.ChatEvent) {
		if e.Type == "reference" {
			send(map[string]any{"type": "reference", "data": e.Memories})
			return
		}
		send(map[string]any{"type": e.Type, "data": e.Text})
	}
	res, err := h.cfg.Core.Chat(r.Context(), req)
	if err != nil {
		if !started { // nothing sent yet: a plain error response with the right status
			h.fail(w, r, err)
			return
		}
		_, msg := classify(err)
		send(map[string]any{"type": "error", "content": msg})
		return
	}
	send(map[string]any{"type": "end", "conversation_id": res.ConversationID})
}

type statusRequest struct {
	TaskID string `json:"task_id"`
}

func (h *Handler) getStatus(w http.ResponseWriter, r *http.Request, req statusRequest) {
	t, err := h.cfg.Core.GetTask(r.Context(), req.TaskID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeOK(w, "ok", t)
}
