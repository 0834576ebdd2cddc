/* The simulator page: every action POSTs to /simulator/api/…, which sends a real signed, encrypted push to
   /wechat and returns the decrypted passive reply. Messages sent later (customer-service, template) are polled
   from the loopback fake of WeChat's API. Text is only ever inserted with textContent (no innerHTML). */
(function () {
  "use strict";

  var phone = document.getElementById("phone");
  var API = phone.getAttribute("data-api");
  var POLL_MS = 2000;
  var $ = function (id) { return document.getElementById(id); };
  var chat = $("chat");
  var identity = $("identity");
  var config = null;
  var current = null; // {openid, kind: "citizen" | "supervisor", label, supervisorId, bound}

  // -- per-identity history, kept for the tab's lifetime (sessionStorage) ------------------------------------

  function store(openid) {
    try {
      var raw = sessionStorage.getItem("sim:" + openid);
      if (raw) { return JSON.parse(raw); }
    } catch (e) { /* private mode or bad JSON: start empty */ }
    return { items: [], lastId: 0 };
  }
  function save(openid, data) {
    try { sessionStorage.setItem("sim:" + openid, JSON.stringify(data)); } catch (e) { /* quota: keep going */ }
  }
  // Every item belongs to one identity's chat; it is drawn only if that chat is the one on screen.
  function record(openid, item) {
    var data = store(openid);
    if (item.fakeId) {
      for (var i = 0; i < data.items.length; i++) { if (data.items[i].fakeId === item.fakeId) { return; } }
      data.lastId = Math.max(data.lastId, item.fakeId);
    }
    data.items.push(item);
    if (data.items.length > 300) { data.items = data.items.slice(-300); }
    save(openid, data);
    if (current && current.openid === openid) { render(item); }
  }

  // -- rendering ------------------------------------------------------------------------------------------------

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function render(item) {
    var row;
    if (item.type === "sys" || item.type === "err") {
      row = el("div", item.type === "err" ? "sys err" : "sys");
      row.appendChild(el("span", null, item.text));
    } else {
      row = el("div", "msg " + (item.who === "me" ? "me" : "them") + (item.card ? " card" : ""));
      var bubble = el("div", "bubble");
      if (item.tag) { bubble.appendChild(el("span", "tag", item.tag)); }
      if (item.card) { bubble.appendChild(el("span", "title", item.card)); }
      if (item.image) {
        var img = el("img");
        img.alt = "图片";
        img.src = item.image;
        bubble.appendChild(img);
      }
      if (item.text) { bubble.appendChild(document.createTextNode(item.text)); }
      if (item.url) {
        bubble.appendChild(document.createElement("br"));
        var a = el("a", null, "详情");
        a.href = item.url;
        a.target = "_blank";
        a.rel = "noopener";
        bubble.appendChild(a);
      }
      row.appendChild(bubble);
    }
    chat.appendChild(row);
    chat.scrollTop = chat.scrollHeight;
  }

  function redraw() {
    chat.textContent = "";
    if (!current) { return; }
    store(current.openid).items.forEach(render);
  }

  function notice(text) {
    var box = $("notice");
    box.textContent = text || "";
    box.hidden = !text;
  }

  // -- talking to the server ------------------------------------------------------------------------------------

  function request(method, path, body, isForm) {
    var opts = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
    }
    return fetch(API + path, opts).then(function (resp) {
      return resp.json().catch(function () { return { ok: false, error: "HTTP " + resp.status }; });
    });
  }

  // Actions go out one at a time, in the order they were made, as a phone sends them: nothing typed while the
  // previous push is still waiting for its reply is lost or overtakes it.
  var queue = Promise.resolve();
  function act(path, body, echo, isForm) {
    if (!current) { return Promise.resolve(); }
    var openid = current.openid;
    var run = function () { return send(openid, path, body, echo, isForm); };
    queue = queue.then(run, run);
    return queue;
  }

  function send(openid, path, body, echo, isForm) {
    setBusy(true);
    if (echo) { record(openid, echo); }
    return request("POST", path, body, isForm).then(function (res) {
      if (!res || res.ok === false) {
        record(openid, { type: "err", text: (res && res.error) || "发送失败" + (res && res.status ? "（HTTP " + res.status + "）" : "") });
      } else if (res.reply) {
        record(openid, { who: "them", text: res.reply });
      } else {
        record(openid, { type: "sys", text: "公众号未回复（success）" });
      }
      return res;
    }).catch(function () {
      record(openid, { type: "err", text: "无法连接模拟器" });
    }).then(function (res) {
      setBusy(false);
      poll();
      return res;
    });
  }

  function setBusy(on) {
    $("send").textContent = on ? "发送中" : "发送";
  }

  var polling = false;
  function poll() {
    if (!current || polling) { return; }
    polling = true;
    var openid = current.openid;
    var since = store(openid).lastId || 0;
    request("GET", "messages?openid=" + encodeURIComponent(openid) + "&since=" + since).then(function (res) {
      if (!current || current.openid !== openid) { return; }
      if (res.error) { notice(res.error + "：之后发出的客服/模板消息不会显示"); } else { notice(""); }
      (res.messages || []).forEach(function (m) {
        if (m.kind === "customer") {
          record(openid, { who: "them", text: m.text, tag: "客服消息", fakeId: m.id });
        } else {
          record(openid, { who: "them", text: m.text, card: m.title || "模板消息", tag: "模板消息", url: m.url || null, fakeId: m.id });
        }
      });
      var data = store(openid);
      if ((res.last_id || 0) > data.lastId) { data.lastId = res.last_id; save(openid, data); }
    }).catch(function () { /* next tick tries again */ }).then(function () { polling = false; });
  }

  // -- identities -----------------------------------------------------------------------------------------------

  function option(value, text, disabled) {
    var o = el("option", null, text);
    o.value = value;
    o.disabled = !!disabled;
    return o;
  }

  function fillIdentities(keep) {
    identity.textContent = "";
    var citizens = el("optgroup");
    citizens.label = "市民";
    config.citizens.forEach(function (c) { citizens.appendChild(option("c:" + c.openid, c.label + "（" + c.openid + "）")); });
    extraCitizens().forEach(function (openid) { citizens.appendChild(option("c:" + openid, "新市民（" + openid + "）")); });
    citizens.appendChild(option("new", "＋ 新建一个市民"));
    identity.appendChild(citizens);
    var sups = el("optgroup");
    sups.label = "督办员";
    config.supervisors.forEach(function (s) {
      var text = s.name + (s.openid ? "（已绑定）" : "（未绑定，选中后可绑定）");
      sups.appendChild(option("s:" + s.id, text));
    });
    identity.appendChild(sups);
    if (keep) { identity.value = keep; }
    if (!identity.value || identity.value === "new") { identity.value = "c:" + config.citizens[0].openid; }
  }

  function extraCitizens() {
    try { return JSON.parse(sessionStorage.getItem("sim:extra") || "[]"); } catch (e) { return []; }
  }

  function choose(value) {
    if (value === "new") {
      var openid = "o_demo_new_" + Math.random().toString(36).slice(2, 8);
      var extra = extraCitizens();
      extra.push(openid);
      try { sessionStorage.setItem("sim:extra", JSON.stringify(extra)); } catch (e) { /* ignore */ }
      fillIdentities("c:" + openid);
      value = "c:" + openid;
    }
    var hint = "";
    if (value.indexOf("c:") === 0) {
      var oid = value.slice(2);
      var known = config.citizens.filter(function (c) { return c.openid === oid; })[0];
      current = { openid: oid, kind: "citizen", label: known ? known.label : "新市民" };
      hint = "市民 " + oid + (known ? " · " + known.hint : " · 新用户，可先点“关注”");
    } else {
      var sid = value.slice(2);
      var sup = config.supervisors.filter(function (s) { return s.id === sid; })[0];
      current = { openid: sup.openid || sup.demo_openid, kind: "supervisor", label: sup.name, supervisorId: sup.id, bound: !!sup.openid };
      hint = "督办员 " + sup.name + " · 负责 " + sup.units.join("、") + (sup.openid ? " · 已绑定 " + sup.openid : " · 未绑定");
    }
    $("hint").textContent = hint;
    if (current.kind === "citizen") { refreshHint(current.openid); }
    var badge = $("badge");
    badge.textContent = current.kind === "citizen" ? "市民" : "督办员";
    badge.className = current.kind === "citizen" ? "badge" : "badge sup";
    $("tab-supervisor").hidden = current.kind !== "supervisor";
    redraw();
    if (current.kind === "supervisor" && !current.bound) {
      render({ type: "sys", text: "该督办员尚未绑定微信。" });
      var row = el("div", "sys");
      var btn = el("button", "primary", "用一次性绑定码绑定（发送“绑定 xxxxxx”）");
      btn.type = "button";
      btn.addEventListener("click", bindCurrent);
      row.appendChild(btn);
      chat.appendChild(row);
    }
    poll();
  }

  // The citizens' case list changes as they report: fetch it again whenever one is chosen.
  function refreshHint(openid) {
    request("GET", "config").then(function (cfg) {
      var known = cfg.citizens.filter(function (c) { return c.openid === openid; })[0];
      if (known && current && current.openid === openid) { $("hint").textContent = "市民 " + openid + " · " + known.hint; }
    }).catch(function () { /* keep the old hint */ });
  }

  function bindCurrent() {
    if (!current || current.kind !== "supervisor") { return; }
    var sid = current.supervisorId;
    act("bind", { supervisor_id: sid }, { type: "sys", text: "签发绑定码并发送“绑定 ……”" }).then(function (res) {
      if (res && res.ok) {
        return request("GET", "config").then(function (cfg) {
          config = cfg;
          fillIdentities("s:" + sid);
          choose("s:" + sid);
        });
      }
      return null;
    });
  }

  // -- actions --------------------------------------------------------------------------------------------------

  function sendText(text) {
    if (!text) { return; }
    act("text", { openid: current.openid, content: text }, { who: "me", text: text });
  }

  function sendPhoto(file) {
    var openid = current.openid;
    var form = new FormData();
    form.append("openid", openid);
    var echo = { who: "me", text: file ? "" : "[示例照片]" };
    if (file) {
      form.append("file", file, file.name);
      echo.image = URL.createObjectURL(file);
      echo.text = "";
    }
    // Object URLs do not survive a reload: keep the bubble, drop the picture from what is stored.
    act("image", form, echo, true).then(function () {
      var data = store(openid);
      data.items.forEach(function (it) { if (it.image && it.image.indexOf("blob:") === 0) { it.image = null; it.text = "[照片]"; } });
      save(openid, data);
    });
  }

  function openTab(name) {
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (t) { t.classList.toggle("on", t.getAttribute("data-tab") === name); });
    Array.prototype.forEach.call(document.querySelectorAll(".pane"), function (p) { p.hidden = p.getAttribute("data-pane") !== name; });
  }

  function togglePanel(show) {
    var panel = $("panel");
    panel.hidden = show === undefined ? !panel.hidden : !show;
    $("more").setAttribute("aria-expanded", String(!panel.hidden));
  }

  function wire() {
    identity.addEventListener("change", function () { choose(identity.value); });
    $("composer").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = $("input");
      var text = input.value.trim();
      input.value = "";
      sendText(text);
    });
    $("more").addEventListener("click", function () { togglePanel(); });
    Array.prototype.forEach.call(document.querySelectorAll(".tab"), function (t) {
      t.addEventListener("click", function () { openTab(t.getAttribute("data-tab")); });
    });
    $("send-photo").addEventListener("click", function () {
      var file = $("photo-file").files[0];
      if (!file) { notice("请先选择一张照片，或发送示例照片"); return; }
      sendPhoto(file);
      $("photo-file").value = "";
    });
    $("send-sample").addEventListener("click", function () { sendPhoto(null); });
    $("send-voice").addEventListener("click", function () {
      var text = $("voice-text").value.trim();
      if (!text) { notice("请填写语音内容"); return; }
      $("voice-text").value = "";
      act("voice", { openid: current.openid, recognition: text }, { who: "me", text: "🎤 " + text, tag: "语音" });
    });
    $("send-location").addEventListener("click", function () {
      var i = Number($("location-preset").value);
      act("location", { openid: current.openid, preset: i }, { who: "me", text: "📍 " + config.locations[i].label, tag: "位置" });
    });
    $("send-scan").addEventListener("click", function () {
      var unit = $("scan-unit").value;
      var win = $("scan-window").value;
      var sub = $("scan-subscribe").checked;
      var rate = $("scan-rate").checked;
      var name = $("scan-unit").options[$("scan-unit").selectedIndex].textContent;
      act("scan", { openid: current.openid, unit: unit, window: win, subscribe: sub, rate: rate },
        { type: "sys", text: (rate ? "扫评价码：" : "扫码：") + name + (win ? " " + win + "号窗口" : "") + (sub ? "（并关注）" : "") });
      $("scan-found").hidden = true;
    });
    $("send-subscribe").addEventListener("click", function () {
      act("subscribe", { openid: current.openid }, { type: "sys", text: "已关注公众号" });
    });
    $("send-unsubscribe").addEventListener("click", function () {
      act("unsubscribe", { openid: current.openid }, { type: "sys", text: "已取消关注" });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".chip"), function (c) {
      c.addEventListener("click", function () {
        var input = $("input");
        input.value = c.getAttribute("data-insert");
        input.focus();
      });
    });
  }

  function fillStatic() {
    var menu = $("menu");
    config.menu.forEach(function (m) {
      var b = el("button", null, m.label);
      b.type = "button";
      b.addEventListener("click", function () {
        act("click", { openid: current.openid, key: m.key }, { type: "sys", text: "点击菜单：" + m.label });
      });
      menu.appendChild(b);
    });
    config.locations.forEach(function (l, i) { $("location-preset").appendChild(option(String(i), l.label)); });
    config.units.forEach(function (u) { $("scan-unit").appendChild(option(u.code, u.name)); });
    if (!config.outbound) { notice("WECHAT_API_BASE_URL 不是本地模拟：之后发出的客服/模板消息不会出现在这里"); }
  }

  // A development QR code opens /simulator/?scan=unit%3Dbdc%3Bwindow%3D5: get the scan ready to send.
  function prefillScan() {
    var scene = new URLSearchParams(window.location.search).get("scan");
    if (!scene) { return; }
    var fields = {};
    scene.split(";").forEach(function (part) {
      var kv = part.split("=");
      if (kv.length === 2) { fields[kv[0]] = kv[1]; }
    });
    var unit = fields.unit || fields.rate;
    if (!unit) { return; }
    $("scan-unit").value = unit;
    $("scan-rate").checked = Boolean(fields.rate);
    $("scan-window").value = fields.window || "";
    var found = $("scan-found");
    found.textContent = "已识别二维码：" + scene + "，点“扫一扫”发送扫码事件";
    found.hidden = false;
    togglePanel(true);
    openTab("scan");
  }

  request("GET", "config").then(function (cfg) {
    config = cfg;
    fillStatic();
    fillIdentities(null);
    wire();
    openTab("photo");
    choose(identity.value);
    prefillScan();
    window.setInterval(poll, POLL_MS);
  }).catch(function () {
    notice("模拟器配置加载失败，请刷新");
  });
})();
