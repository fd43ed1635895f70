// memos-mcp Playground: lists, searches and deletes one user's memories through the REST API.
// Plain JavaScript, no framework, no build step. Memory text is only ever set with textContent.
"use strict";

(() => {
  const KEY_STORAGE = "memos-mcp.apiKey";
  const USER_STORAGE = "memos-mcp.userId";

  const $ = (id) => document.getElementById(id);
  const el = {
    connect: $("connect"), key: $("api-key"), user: $("user-id"), whoami: $("whoami"),
    status: $("status"), search: $("search"), query: $("query"), dedup: $("dedup"), back: $("back"),
    totalFacts: $("total-facts"), totalPrefs: $("total-prefs"),
    deleteSelected: $("delete-selected"), deleteExpired: $("delete-expired"),
    list: $("list"), caption: $("list-caption"), rows: $("rows"), selectAll: $("select-all"),
    pager: $("pager"), prev: $("prev"), next: $("next"), pageInfo: $("page-info"), pageSize: $("page-size"),
    dialog: $("confirm"), dialogText: $("confirm-text"),
  };

  const state = {
    view: "list", // "list" or "search"
    kind: "text", // "text" (facts) or "pref" (preferences)
    page: 1,
    pageSize: 10,
    listed: null, // {text: {items, total}, pref: {items, total}} of the current page
    found: null, // {text: [...], pref: [...]} of the last search
    lastQuery: null, // {query, dedup}
    selected: new Set(),
    checkedKey: null, // the key /api/whoami was last asked about
    checking: false, // /api/whoami is being asked; it loads the list when it answers
    seq: 0, // a newer view request makes an older one's answer stale
  };

  // ---- API -------------------------------------------------------------------------------------

  class APIError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  // api calls a REST route and returns the envelope's data, or throws an APIError carrying the
  // envelope's message (or a description of what went wrong when there is no envelope).
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    const key = el.key.value.trim();
    if (key !== "") headers.Authorization = "Bearer " + key;
    const init = { method, headers, cache: "no-store", credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (err) {
      throw new APIError(0, `Cannot reach the server (${method} ${path}): ${err.message}`);
    }
    const text = await resp.text();
    let env = null;
    try {
      env = JSON.parse(text);
    } catch {
      env = null;
    }
    const hasEnvelope = env !== null && typeof env === "object" && "code" in env;
    if (resp.ok && hasEnvelope && env.code === 200) return env.data;
    let message;
    if (hasEnvelope && typeof env.message === "string" && env.message !== "") {
      message = env.message;
    } else {
      const snippet = text.trim().slice(0, 200);
      message = `${method} ${path} answered HTTP ${resp.status}${snippet ? ": " + snippet : ""}`;
    }
    throw new APIError(resp.ok && hasEnvelope ? env.code : resp.status, message);
  }

  // ---- status ----------------------------------------------------------------------------------

  function setStatus(level, text) {
    el.status.dataset.level = level;
    el.status.setAttribute("role", level === "error" ? "alert" : "status");
    el.status.textContent = text;
  }

  function showError(err) {
    if (err instanceof APIError && err.status === 401) {
      setStatus("error", `Enter a valid API key. The server said: ${err.message}`);
    } else if (err instanceof APIError && err.status === 403) {
      setStatus("error", err.message);
    } else {
      setStatus("error", err && err.message ? err.message : String(err));
    }
  }

  // ---- key and user ----------------------------------------------------------------------------

  function userID() {
    return el.user.value.trim();
  }

  // checkKey asks the server whom the key may act for, prefills the user id when the key is
  // bound to exactly one user, and then loads that user's memories.
  async function checkKey() {
    const key = el.key.value.trim();
    sessionStorage.setItem(KEY_STORAGE, key);
    state.checkedKey = key;
    state.checking = true;
    el.whoami.textContent = "";
    setStatus("info", "Checking the API key…");
    let who;
    try {
      who = await api("GET", "/api/whoami");
    } catch (err) {
      state.checkedKey = null; // ask again next time, the server may have changed its mind
      clearView();
      showError(err);
      return;
    } finally {
      state.checking = false;
    }
    const users = Array.isArray(who && who.users) ? who.users : [];
    if (who && who.auth === false) {
      el.whoami.textContent = "This server has no API keys: any user id may be used.";
    } else if (who && who.admin) {
      el.whoami.textContent = "Admin key: any user id may be used.";
    } else {
      el.whoami.textContent = users.length ? `This key may access: ${users.join(", ")}` : "This key may access no user.";
    }
    if (!(who && who.admin) && users.length === 1) {
      el.user.value = users[0];
      sessionStorage.setItem(USER_STORAGE, users[0]);
    }
    if (userID() === "") {
      clearView();
      setStatus("info", "Enter a user id to see that user's memories.");
      return;
    }
    await showList(1);
  }

  // ---- loading ---------------------------------------------------------------------------------

  // cubes flattens the per-cube groups of a product response into one list, newest first, with
  // the sum of their totals.
  function cubes(groups) {
    const items = [];
    let total = 0;
    for (const g of Array.isArray(groups) ? groups : []) {
      if (Array.isArray(g.memories)) items.push(...g.memories);
      if (typeof g.total_nodes === "number") total += g.total_nodes;
    }
    return { items, total };
  }

  function meta(item) {
    return (item && item.metadata) || {};
  }

  function newestFirst(a, b) {
    const ta = Date.parse(meta(a).created_at) || 0;
    const tb = Date.parse(meta(b).created_at) || 0;
    if (ta !== tb) return tb - ta;
    return String(b.id) < String(a.id) ? -1 : String(b.id) > String(a.id) ? 1 : 0;
  }

  function pages(total) {
    return Math.max(1, Math.ceil(total / state.pageSize));
  }

  // fetchList loads one page of the user's facts and preferences (both are paged alike).
  async function fetchList(page) {
    const data = await api("POST", "/product/get_memory", {
      user_id: userID(),
      include_preference: true,
      page,
      page_size: state.pageSize,
      include_archived: true,
      include_expired: true,
    });
    const text = cubes(data && data.text_mem);
    const pref = cubes(data && data.pref_mem);
    if ((data && data.text_mem || []).length > 1) text.items.sort(newestFirst);
    if ((data && data.pref_mem || []).length > 1) pref.items.sort(newestFirst);
    return { text, pref };
  }

  // showList shows page `page` of the list; past the last page it shows the last one.
  async function showList(page, doneMessage) {
    if (userID() === "") {
      setStatus("error", "Enter a user id first.");
      el.user.focus();
      return;
    }
    sessionStorage.setItem(USER_STORAGE, userID());
    const seq = ++state.seq;
    busy(true);
    setStatus("info", "Loading…");
    try {
      let listed = await fetchList(page);
      const last = pages(listed[state.kind].total);
      if (page > last) {
        page = last;
        listed = await fetchList(page);
      }
      if (seq !== state.seq) return;
      state.view = "list";
      state.page = page;
      state.listed = listed;
      state.found = null;
      state.selected.clear();
      render();
      setStatus(doneMessage ? "success" : "info", doneMessage ||
        `${listed.text.total} facts and ${listed.pref.total} preferences for ${userID()}.`);
    } catch (err) {
      if (seq !== state.seq) return;
      clearView();
      showError(err);
    } finally {
      if (seq === state.seq) busy(false);
    }
  }

  async function runSearch(doneMessage) {
    const q = state.lastQuery;
    if (!q) return;
    if (userID() === "") {
      setStatus("error", "Enter a user id first.");
      el.user.focus();
      return;
    }
    const seq = ++state.seq;
    busy(true);
    setStatus("info", "Searching…");
    try {
      const data = await api("POST", "/product/search", {
        user_id: userID(),
        query: q.query,
        top_k: 10,
        dedup: q.dedup,
        include_preference: true,
        pref_top_k: 6,
      });
      if (seq !== state.seq) return;
      state.view = "search";
      state.found = { text: cubes(data && data.text_mem).items, pref: cubes(data && data.pref_mem).items };
      state.selected.clear();
      render();
      setStatus(doneMessage ? "success" : "info", doneMessage ||
        `${state.found.text.length} facts and ${state.found.pref.length} preferences match “${q.query}” (dedup ${q.dedup}).`);
    } catch (err) {
      if (seq !== state.seq) return;
      showError(err);
    } finally {
      if (seq === state.seq) busy(false);
    }
  }

  function clearView() {
    state.seq++;
    state.listed = null;
    state.found = null;
    state.view = "list";
    state.selected.clear();
    render();
    busy(false);
  }

  function busy(on) {
    el.list.setAttribute("aria-busy", on ? "true" : "false");
    el.list.dataset.state = on ? "loading" : "ready";
  }

  // ---- rendering -------------------------------------------------------------------------------

  function formatTime(s) {
    if (!s) return "";
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? String(s) : d.toLocaleString();
  }

  function badge(text, cls, testid) {
    const b = document.createElement("span");
    b.className = "badge " + cls;
    b.dataset.testid = testid;
    b.textContent = text;
    return b;
  }

  function cell(row, ...children) {
    const td = document.createElement("td");
    for (const c of children) td.append(c);
    row.append(td);
    return td;
  }

  function renderRow(item) {
    const m = meta(item);
    const id = String(item.id || m.id || "");
    const tr = document.createElement("tr");
    tr.dataset.testid = "memory-row";
    tr.dataset.id = id;

    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.testid = "select-memory";
    box.value = id;
    box.checked = state.selected.has(id);
    box.setAttribute("aria-label", "Select memory " + id);
    box.addEventListener("change", () => {
      if (box.checked) state.selected.add(id);
      else state.selected.delete(id);
      updateActions();
    });
    cell(tr, box).className = "sel";

    const text = document.createElement("div");
    text.className = "memory-text";
    text.dataset.testid = "memory-text";
    if (state.kind === "pref") {
      const pref = document.createElement("div");
      pref.className = "preference";
      pref.dataset.testid = "memory-preference";
      pref.textContent = m.preference || "";
      text.textContent = item.memory || m.memory || "";
      text.classList.add("context");
      cell(tr, pref, text);
    } else {
      text.textContent = item.memory || m.memory || "";
      cell(tr, text);
    }

    const type = document.createElement("span");
    type.dataset.testid = "memory-type";
    type.textContent = m.memory_type || "";
    if (m.preference_type) type.title = m.preference_type;
    cell(tr, type);

    const time = document.createElement("time");
    time.dataset.testid = "memory-created";
    if (m.created_at) {
      time.dateTime = m.created_at;
      time.title = m.created_at;
    }
    time.textContent = formatTime(m.created_at);
    cell(tr, time);

    const tags = document.createElement("span");
    tags.className = "tags";
    for (const t of Array.isArray(m.tags) ? m.tags : []) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.dataset.testid = "memory-tag";
      tag.textContent = String(t);
      tags.append(tag);
    }
    cell(tr, tags);

    const badges = document.createElement("span");
    badges.className = "badges";
    if (m.status === "archived") badges.append(badge("archived", "archived", "badge-archived"));
    if (m.expired === true) badges.append(badge("expired", "expired", "badge-expired"));
    cell(tr, badges);

    const rel = cell(tr);
    rel.className = "relativity";
    rel.dataset.testid = "memory-relativity";
    if (typeof m.relativity === "number") rel.textContent = m.relativity.toFixed(3);
    if (typeof m.relevance === "number") rel.title = "relevance " + m.relevance.toFixed(3);
    return tr;
  }

  function render() {
    const searching = state.view === "search";
    el.list.dataset.view = state.view;
    el.list.dataset.kind = state.kind;
    const kindName = state.kind === "pref" ? "Preferences" : "Facts";

    let items = [];
    if (searching && state.found) items = state.found[state.kind];
    else if (state.listed) items = state.listed[state.kind].items;

    if (state.listed) {
      el.totalFacts.textContent = String(state.listed.text.total);
      el.totalPrefs.textContent = String(state.listed.pref.total);
    } else {
      el.totalFacts.textContent = "–";
      el.totalPrefs.textContent = "–";
    }

    if (searching) {
      el.caption.textContent = `${kindName} matching “${state.lastQuery.query}”`;
    } else if (state.listed) {
      el.caption.textContent = `${kindName}, newest first`;
    } else {
      el.caption.textContent = kindName;
    }

    const rows = items.map(renderRow);
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "empty-row";
      const td = document.createElement("td");
      td.colSpan = 7;
      td.className = "empty";
      td.textContent = searching ? "Nothing matches." : state.listed ? "No memories." : "";
      tr.append(td);
      rows.push(tr);
    }
    el.rows.replaceChildren(...rows);

    document.querySelectorAll(".relativity").forEach((n) => { n.hidden = !searching; });
    el.back.hidden = !searching;
    el.pager.hidden = searching;
    const total = state.listed ? state.listed[state.kind].total : 0;
    const last = pages(total);
    el.pageInfo.textContent = `page ${state.listed ? state.page : 1} of ${last}`;
    el.prev.disabled = !state.listed || state.page <= 1;
    el.next.disabled = !state.listed || state.page >= last;
    updateActions();
  }

  function shownIDs() {
    return Array.from(el.rows.querySelectorAll("input[data-testid=select-memory]"), (b) => b.value);
  }

  function updateActions() {
    const n = state.selected.size;
    el.deleteSelected.disabled = n === 0;
    el.deleteSelected.textContent = n ? `Delete selected (${n})` : "Delete selected";
    el.deleteExpired.disabled = userID() === "" || !state.listed;
    const shown = shownIDs();
    el.selectAll.checked = shown.length > 0 && shown.every((id) => state.selected.has(id));
    el.selectAll.indeterminate = !el.selectAll.checked && shown.some((id) => state.selected.has(id));
    el.selectAll.disabled = shown.length === 0;
  }

  // ---- deleting --------------------------------------------------------------------------------

  // confirmDialog shows the in-page dialog and resolves to true when the user confirms.
  function confirmDialog(text) {
    return new Promise((resolve) => {
      el.dialogText.textContent = text;
      el.dialog.returnValue = "";
      el.dialog.addEventListener("close", () => resolve(el.dialog.returnValue === "ok"), { once: true });
      el.dialog.showModal();
    });
  }

  async function deleteAndReload(question, body) {
    if (!(await confirmDialog(question))) {
      setStatus("info", "Nothing deleted.");
      return;
    }
    let result;
    try {
      result = await api("POST", "/product/delete_memory", body);
    } catch (err) {
      showError(err);
      return;
    }
    const n = result && typeof result.deleted_count === "number" ? result.deleted_count : 0;
    const message = `Deleted ${n} ${n === 1 ? "memory" : "memories"}.`;
    if (state.view === "search") {
      // Keep the totals right, then show the search again without the deleted memories.
      try {
        state.listed = await fetchList(state.page);
      } catch (err) {
        showError(err);
        return;
      }
      await runSearch(message);
    } else {
      await showList(state.page, message);
    }
  }

  el.deleteSelected.addEventListener("click", () => {
    const ids = Array.from(state.selected);
    if (ids.length === 0) return;
    const what = ids.length === 1 ? "the selected memory" : `the ${ids.length} selected memories`;
    deleteAndReload(`Delete ${what}? This cannot be undone.`, { memory_ids: ids });
  });

  el.deleteExpired.addEventListener("click", () => {
    const user = userID();
    if (user === "") return;
    deleteAndReload(`Delete all expired memories of ${user}? This cannot be undone.`, { user_id: user, expired_only: true });
  });

  // ---- events ----------------------------------------------------------------------------------

  el.key.addEventListener("change", () => {
    if (el.key.value.trim() !== state.checkedKey) checkKey();
  });

  el.connect.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (el.key.value.trim() !== state.checkedKey) checkKey();
    else if (!state.checking) showList(1);
  });

  el.search.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const query = el.query.value.trim();
    if (query === "") return;
    state.lastQuery = { query, dedup: el.dedup.value };
    runSearch();
  });

  el.back.addEventListener("click", () => {
    state.lastQuery = null;
    showList(state.page);
  });

  for (const radio of document.querySelectorAll("input[name=kind]")) {
    radio.addEventListener("change", () => {
      if (!radio.checked) return;
      state.kind = radio.value;
      state.selected.clear();
      if (state.view === "list" && state.listed) showList(1);
      else render();
    });
  }

  el.prev.addEventListener("click", () => showList(state.page - 1));
  el.next.addEventListener("click", () => showList(state.page + 1));
  el.pageSize.addEventListener("change", () => {
    state.pageSize = Number(el.pageSize.value) || 10;
    if (state.listed) showList(1);
    else render();
  });

  el.selectAll.addEventListener("change", () => {
    for (const id of shownIDs()) {
      if (el.selectAll.checked) state.selected.add(id);
      else state.selected.delete(id);
    }
    for (const b of el.rows.querySelectorAll("input[data-testid=select-memory]")) b.checked = el.selectAll.checked;
    updateActions();
  });

  el.user.addEventListener("input", updateActions);

  // ---- start -----------------------------------------------------------------------------------

  el.key.value = sessionStorage.getItem(KEY_STORAGE) || "";
  el.user.value = sessionStorage.getItem(USER_STORAGE) || "";
  state.pageSize = Number(el.pageSize.value) || 10;
  state.kind = document.querySelector("input[name=kind]:checked").value;
  render();
  checkKey();
})();
