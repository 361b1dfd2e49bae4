// The video of a visit: record or pick, upload in parts that survives a dropped connection, processing, the clip.
"use strict";

// ---------------------------------------------------------------- the video of a visit

const VIDEO_TYPES = ["video/mp4", "video/quicktime", "video/webm"];

function videoSection(card, order) {
  const storeKey = `liveline.video.${order.order_id}`;
  const statusLine = h("p", { "aria-live": "polite", dataset: { testid: "video-status" } });
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("video.upload"), hidden: true });
  const result = h("div");
  const message = h("div");
  put(card, h("h2", { id: "video-h", text: t("video.title") }), h("p", { text: t("video.prompt") }));

  const showVideo = async (videoId) => {
    for (const started = Date.now(); Date.now() - started < 600000;) {
      let video;
      try { video = await api("GET", `/v1/videos/${videoId}`); } catch (error) { await sleep(2000); continue; }
      card.dataset.videoStatus = video.status;
      if (video.status === "published") {
        statusLine.textContent = video.hidden ? t("video.hidden", { reason: video.hidden_reason || "" }) : t("video.published");
        put(result, videoPlayer(video));
        return;
      }
      if (video.status === "rejected") {
        statusLine.textContent = t("video.rejected", { reason: (video.rejection && video.rejection.detail) || "" });
        return;
      }
      if (video.status === "processing") statusLine.textContent = t("video.processing");
      if (video.status === "uploading") return "uploading";
      await sleep(1500);
    }
    return null;
  };

  const upload = async (blob) => {
    put(message, );
    const contentType = (blob.type || "").split(";")[0];
    if (!VIDEO_TYPES.includes(contentType)) throw new Invalid(t("problem.invalid-request"));
    bar.hidden = false;
    let state;
    const existing = localStorage.getItem(storeKey);
    if (existing) {
      state = await api("GET", `/v1/videos/${existing}/upload`).catch(() => null);
      if (state && state.size_bytes !== blob.size) state = null;
    }
    if (!state) {
      state = await api("POST", "/v1/videos", { body: { order_id: order.order_id, size_bytes: blob.size, content_type: contentType } });
      localStorage.setItem(storeKey, state.video_id);
    }
    card.dataset.videoId = state.video_id;
    await uploadParts(blob, state, (percent) => {
      bar.value = percent;
      statusLine.textContent = t("video.progress", { percent });
    }, () => { statusLine.textContent = t("video.paused"); });
    for (let attempt = 0; ; attempt++) {
      try {
        await api("POST", `/v1/videos/${state.video_id}/complete`);
        break;
      } catch (error) {
        if (error.status !== 0 || attempt > 20) throw error;
        await sleep(Math.min(1000 * 2 ** attempt, 10000));
      }
    }
    statusLine.textContent = t("video.processing");
    await showVideo(state.video_id);
  };

  const file = h("input", { type: "file", id: "video-file", accept: VIDEO_TYPES.join(","), name: "file" });
  const form = h("form", {}, h("label", { for: "video-file" }, t("video.pick"), file), h("button", { type: "submit", text: t("video.upload") }));
  bindForm(form, async () => {
    if (!file.files.length) throw new Invalid(t("error.required", { field: t("video.pick") }));
    await upload(file.files[0]);
  });

  const recordButton = h("button.secondary", { type: "button", text: t("video.record") });
  const preview = h("video", { muted: true, playsinline: true, hidden: true, "aria-hidden": "true" });
  let recorder = null;
  recordButton.addEventListener("click", async () => {
    put(message, );
    if (recorder) { recorder.stop(); return; }
    if (!navigator.mediaDevices || !window.MediaRecorder) { add(message, localError(t("video.noCamera"))); return; }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: true });
    } catch (error) {
      add(message, localError(t("video.noCamera")));
      return;
    }
    preview.srcObject = stream;
    preview.hidden = false;
    preview.play().catch(() => {});
    const chunks = [];
    recorder = new MediaRecorder(stream, MediaRecorder.isTypeSupported("video/webm") ? { mimeType: "video/webm" } : {});
    recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
    recorder.onstop = async () => {
      stream.getTracks().forEach((track) => track.stop());
      preview.hidden = true;
      recorder = null;
      recordButton.textContent = t("video.record");
      try {
        await upload(new Blob(chunks, { type: "video/webm" }));
      } catch (error) {
        add(message, error instanceof Invalid ? localError(error.message) : errorBox(error));
      }
    };
    recorder.start(1000);
    recordButton.textContent = t("video.stop");
  });

  add(card, h("div.row", {}, recordButton), preview, form, bar, statusLine, message, result);
  const existing = localStorage.getItem(storeKey);
  if (existing) showVideo(existing);
}

// PUTs each missing part on its presigned URL; a failed PUT (a dropped connection) waits, asks
// the gateway which parts the storage holds and for fresh URLs, and goes on from there.
async function uploadParts(blob, state, onProgress, onPaused) {
  const done = new Set(state.parts_done);
  let urls = new Map(state.upload_urls.map((p) => [p.part_number, p.url]));
  const partBytes = (n) => Math.min(state.part_size, blob.size - (n - 1) * state.part_size);
  const report = (current) => {
    const sent = [...done].reduce((sum, n) => sum + partBytes(n), 0) + current;
    onProgress(Math.min(100, Math.floor((sent / blob.size) * 100)));
  };
  report(0);
  for (let failures = 0; done.size < state.part_count;) {
    const n = [...Array(state.part_count).keys()].map((i) => i + 1).find((i) => !done.has(i));
    try {
      if (!urls.has(n)) throw new Error("no URL for this part");
      await putPart(urls.get(n), blob.slice((n - 1) * state.part_size, (n - 1) * state.part_size + partBytes(n)), report);
      done.add(n);
      failures = 0;
      report(0);
    } catch (error) {
      failures += 1;
      if (failures > 30) throw new ApiError(0, null);
      onPaused();
      await sleep(Math.min(500 * 2 ** failures, 10000));
      if (!navigator.onLine) await new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
      try {
        const fresh = await api("GET", `/v1/videos/${state.video_id}/upload`);
        fresh.parts_done.forEach((p) => done.add(p));
        urls = new Map(fresh.upload_urls.map((p) => [p.part_number, p.url]));
      } catch (ignored) { /* the next round asks again */ }
    }
  }
}

function putPart(url, body, onBytes) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (event) => onBytes(event.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`storage answered ${xhr.status}`)));
    xhr.onerror = () => reject(new Error("connection lost"));
    xhr.ontimeout = () => reject(new Error("timed out"));
    xhr.timeout = 120000;
    xhr.send(body);
  });
}
