package httpapi

import (
	"net/http"
	"strings"

	"github.com/memos-mcp/memos-mcp/memstore"
)

// The MemOS cloud-style API (memos-docs: add/message, search/memory, get/memory, delete/memory,
// add/feedback, get/status, chat), served at the root and under /api/openmem/v1 so the cloud
// examples work with only the host changed.

func (h *Handler) cloudRoutes(prefix string) {
	h.handle("POST "+prefix+"/add/message", routeOpts{}, decoded(h, h.cloudAdd))
	h.handle("POST "+prefix+"/search/memory", routeOpts{}, decoded(h, h.cloudSearch))
	h.handle("POST "+prefix+"/get/memory", routeOpts{}, decoded(h, h.cloudGetMemory))
	h.handle("POST "+prefix+"/delete/memory", routeOpts{}, decoded(h, h.cloudDelete))
	h.handle("POST "+prefix+"/add/feedback", routeOpts{}, decoded(h, h.cloudFeedback))
	h.handle("POST "+prefix+"/get/status", routeOpts{}, decoded(h, h.getStatus))
	h.handle("POST "+prefix+"/chat", routeOpts{noLimit: true}, decoded(h, h.cloudChat))
}

type cloudAddRequest struct {
	UserID         string            `json:"user_id"`
	ConversationID string            `json:"conversation_id" alias:"session_id"`
	Messages       any               `json:"messages"`
	Info           map[string]string `json:"info"`
	Tags           []string          `json:"tags"`
	AsyncMode      *bool             `json:"async_mode" alias:"asyncMode"`
	Mode           string            `json:"mode"`
	ExpiresAt      string            `json:"expires_at"`
	TTL            string            `json:"ttl"`
	Source         string            `json:"source"`
	// Accepted and not used.
	AppID                 any `json:"app_id"`
	AgentID               any `json:"agent_id"`
	AllowPublic           any `json:"allow_public"`
	AllowKnowledgebaseIDs any `json:"allow_knowledgebase_ids"`
}

type cloudTaskData struct {
	Success  bool     `json:"success"`
	TaskID   string   `json:"task_id,omitempty"`
	Status   string   `json:"status"`
	Memories []string `json:"memory_ids,omitempty"`
}

func (h *Handler) cloudAdd(w http.ResponseWriter, r *http.Request, req cloudAddRequest) {
	msgs, err := toMessages("messages", req.Messages)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	expires, err := parseOptionalTime("expires_at", req.ExpiresAt)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	info := withSource(req.Info, req.Source)
	async := memstore.AsyncMode // the cloud's default
	if req.AsyncMode != nil && !*req.AsyncMode {
		async = memstore.SyncMode
	}
	res, err := h.cfg.Core.AddMessages(r.Context(), memstore.AddRequest{UserID: h.user(r.Context(), req.UserID),
		ConversationID: req.ConversationID, Messages: msgs, Mode: req.Mode, Tags: req.Tags, Info: info, ExpiresAt: expires,
		TTL: req.TTL, AsyncMode: async})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := cloudTaskData{Success: true, TaskID: res.TaskID, Status: res.TaskStatus, Memories: []string{}}
	if data.Status == "" {
		data.Status = memstore.TaskDone
	}
	for _, m := range res.Memories {
		data.Memories = append(data.Memories, m.ID)
	}
	writeJSON(w, http.StatusOK, envelope{Code: 200, Message: "ok", Data: data, TaskID: res.TaskID})
}

type cloudSearchRequest struct {
	UserID                string         `json:"user_id"`
	Query                 string         `json:"query"`
	ConversationID        string         `json:"conversation_id"`
	MemoryLimitNumber     *int           `json:"memory_limit_number"`
	IncludePreference     *bool          `json:"include_preference"`
	PreferenceLimitNumber *int           `json:"preference_limit_number"`
	Relativity            *float64       `json:"relativity"`
	Filter                map[string]any `json:"filter"`
	Dedup                 string         `json:"dedup"`
	// Accepted and not used.
	IncludeToolMemory     any `json:"include_tool_memory"`
	ToolMemoryLimitNumber any `json:"tool_memory_limit_number"`
	IncludeSkill          any `json:"include_skill"`
	SkillLimitNumber      any `json:"skill_limit_number"`
	KnowledgebaseIDs      any `json:"knowledgebase_ids"`
	Source                any `json:"source"`
}

type cloudSearchData struct {
	MemoryDetailList     []cloudItem `json:"memory_detail_list"`
	PreferenceDetailList []cloudPref `json:"preference_detail_list"`
	ToolMemoryDetailList []any       `json:"tool_memory_detail_list"`
	SkillDetailList      []any       `json:"skill_detail_list"`
	PreferenceNote       string      `json:"preference_note"`
}

func (h *Handler) cloudSearch(w http.ResponseWriter, r *http.Request, req cloudSearchRequest) {
	if req.MemoryLimitNumber == nil {
		req.MemoryLimitNumber = ptr(6)
	}
	if req.PreferenceLimitNumber == nil {
		req.PreferenceLimitNumber = ptr(6)
	}
	res, err := h.cfg.Core.Search(r.Context(), memstore.SearchRequest{UserID: h.user(r.Context(), req.UserID), Query: req.Query,
		TopK: req.MemoryLimitNumber, IncludePreference: req.IncludePreference, PrefTopK: req.PreferenceLimitNumber,
		Relativity: req.Relativity, ConversationID: req.ConversationID, Filter: req.Filter, Dedup: req.Dedup})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := cloudSearchData{MemoryDetailList: []cloudItem{}, PreferenceDetailList: []cloudPref{}, ToolMemoryDetailList: []any{}, SkillDetailList: []any{}}
	for _, m := range res.Memories {
		data.MemoryDetailList = append(data.MemoryDetailList, toCloudItem(m.Memory, false, m.Score))
	}
	for _, p := range res.Preferences {
		data.PreferenceDetailList = append(data.PreferenceDetailList, toCloudPref(p.Memory, false, p.Score))
	}
	_, data.PreferenceNote = prefString(res.Preferences)
	writeOK(w, "ok", data)
}

type cloudGetMemoryRequest struct {
	UserID            string         `json:"user_id"`
	IncludePreference *bool          `json:"include_preference"`
	Page              *int           `json:"page" alias:"current"`
	Size              *int           `json:"size" alias:"page_size"`
	Filter            map[string]any `json:"filter"`
	IncludeArchived   *bool          `json:"include_archived"`
	IncludeExpired    *bool          `json:"include_expired"`
	// Accepted and not used.
	AgentID           any `json:"agent_id"`
	IncludeToolMemory any `json:"include_tool_memory"`
}

type cloudGetMemoryData struct {
	MemoryDetailList     []cloudItem `json:"memory_detail_list"`
	PreferenceDetailList []cloudPref `json:"preference_detail_list"`
	ToolMemoryDetailList []any       `json:"tool_memory_detail_list"`
	Total                int         `json:"total"`
	PreferenceTotal      int         `json:"preference_total"`
	Size                 int         `json:"size"`
	Current              int         `json:"current"`
	Pages                int         `json:"pages"`
}

// cloudMaxSize is the cloud API's largest page.
const cloudMaxSize = 50

func (h *Handler) cloudGetMemory(w http.ResponseWriter, r *http.Request, req cloudGetMemoryRequest) {
	page, size := max(deref(req.Page, 1), 1), deref(req.Size, 10)
	if size < 1 || size > cloudMaxSize {
		h.fail(w, r, memstore.Invalidf("size", "give a page size from 1 to 50", "%d is out of range", size))
		return
	}
	res, err := h.cfg.Core.List(r.Context(), memstore.ListRequest{UserID: h.user(r.Context(), req.UserID),
		IncludePreference: req.IncludePreference, Page: &page, PageSize: &size, Filter: req.Filter,
		IncludeArchived: deref(req.IncludeArchived, false), IncludeExpired: deref(req.IncludeExpired, false)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := cloudGetMemoryData{MemoryDetailList: []cloudItem{}, PreferenceDetailList: []cloudPref{}, ToolMemoryDetailList: []any{},
		Total: res.MemoriesTotal, PreferenceTotal: res.PreferencesTotal, Size: size, Current: page}
	data.Pages = (max(res.MemoriesTotal, res.PreferencesTotal) + size - 1) / size
	for _, m := range res.Memories {
		data.MemoryDetailList = append(data.MemoryDetailList, toCloudItem(m.Memory, m.Expired, 0))
	}
	for _, p := range res.Preferences {
		data.PreferenceDetailList = append(data.PreferenceDetailList, toCloudPref(p.Memory, p.Expired, 0))
	}
	writeOK(w, "ok", data)
}

type cloudDeleteRequest struct {
	MemoryIDs   []string       `json:"memory_ids"`
	UserIDs     []string       `json:"user_ids" alias:"user_id"`
	Filter      map[string]any `json:"filter"`
	ExpiredOnly bool           `json:"expired_only"`
	// Accepted and not used.
	AgentID    any `json:"agent_id"`
	MemoryType any `json:"memory_type"`
}

func (h *Handler) cloudDelete(w http.ResponseWriter, r *http.Request, req cloudDeleteRequest) {
	if req.MemoryIDs != nil {
		// v2.0.1 clients send user_ids beside memory_ids; the ids alone decide (the key still
		// must reach every owner).
		req.UserIDs = nil
	}
	if len(req.UserIDs) > 1 {
		h.fail(w, r, memstore.Invalid("user_ids", "names several users", "delete one user's memories per call"))
		return
	}
	user := ""
	if len(req.UserIDs) == 1 {
		user = req.UserIDs[0]
	} else if req.MemoryIDs == nil && (len(req.Filter) > 0 || req.ExpiredOnly) {
		user = h.user(r.Context(), "")
	}
	res, err := h.delete(r, req.MemoryIDs, user, "", req.Filter, nil, req.ExpiredOnly)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeOK(w, "ok", map[string]any{"success": true, "deleted_count": res.DeletedCount, "deleted_ids": res.DeletedIDs,
		"not_found_ids": res.NotFoundIDs})
}

type cloudFeedbackRequest struct {
	UserID          string `json:"user_id"`
	ConversationID  string `json:"conversation_id"`
	FeedbackContent string `json:"feedback_content"`
	FeedbackTime    string `json:"feedback_time"`
	History         any    `json:"history"`
	AsyncMode       *bool  `json:"async_mode" alias:"asyncMode"`
	// Accepted and not used.
	AgentID               any      `json:"agent_id"`
	AppID                 any      `json:"app_id"`
	AllowPublic           any      `json:"allow_public"`
	AllowKnowledgebaseIDs []string `json:"allow_knowledgebase_ids"`
}

func (h *Handler) cloudFeedback(w http.ResponseWriter, r *http.Request, req cloudFeedbackRequest) {
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
	async := memstore.AsyncMode
	if req.AsyncMode != nil && !*req.AsyncMode {
		async = memstore.SyncMode
	}
	res, err := h.cfg.Core.Feedback(r.Context(), memstore.FeedbackRequest{UserID: h.user(r.Context(), req.UserID),
		ConversationID: req.ConversationID, FeedbackContent: req.FeedbackContent, FeedbackTime: deref(at, at0), History: history,
		AllowKnowledgebaseIDs: req.AllowKnowledgebaseIDs, AsyncMode: async})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := res.TaskStatus
	if status == "" {
		status = memstore.TaskDone
	}
	msg := "ok"
	if len(res.Notes) > 0 {
		msg = "ok. Note: " + strings.Join(res.Notes, " ")
	}
	writeJSON(w, http.StatusOK, envelope{Code: 200, Message: msg, Data: cloudTaskData{Success: true, TaskID: res.TaskID, Status: status}, TaskID: res.TaskID})
}

func (h *Handler) cloudChat(w http.ResponseWriter, r *http.Request, req productChatRequest) {
	h.chat(w, r, req, "ok")
}
