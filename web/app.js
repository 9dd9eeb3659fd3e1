// The upload page: sign in with a token, ask the upload API for a presigned POST, post the photo to S3 with a
// progress bar, then show its thumbnails and metadata once the pipeline has made them. No framework; every
// value from a server is shown with textContent, never parsed as HTML. config.json says where the API is.
"use strict";

const POLL_MS = 1000;
const POLL_LIMIT_MS = 120000;
const REJECTIONS = {
  not_an_image: "This file is not an image we can read.",
  corrupt_image: "This image is damaged and cannot be read.",
  unsupported_format: "This image format is not supported.",
  too_many_pixels: "This image has too many pixels.",
  too_complex: "This image is too complex to process.",
  object_too_large: "This file is too large.",
};

const $ = (id) => document.getElementById(id);
let config = null;

function show(id, visible) {
  $(id).hidden = !visible;
}

function setStatus(text) {
  $("status").textContent = text;
}

function setError(text) {
  $("error").textContent = text || "";
  show("error", Boolean(text));
}

function typeNames(types) {
  // image/heic-sequence is a HEIC to a person: one name per format, in the server's order.
  const names = [...new Set(types.map((t) => t.replace("image/", "").replace(/-sequence$/, "").toUpperCase()))].map(
    (name) => (name === "WEBP" ? "WebP" : name),
  );
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names.join("");
}

// The browser's type for the file, or the one its extension names when the browser has none (a .heic where the
// system's MIME database has no HEIF entry): the API still decides, and the pipeline sniffs the bytes anyway.
function contentTypeOf(file) {
  if (file.type) return file.type;
  const dot = file.name.lastIndexOf(".");
  const extension = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
  return (config.content_types_by_extension || {})[extension] || "";
}

// --- sign-in ------------------------------------------------------------------------------------------------------

function claimsOf(token) {
  // For display only: the API's authorizer verifies the token, the page never trusts it.
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
  } catch (_) {
    return null;
  }
}

function token() {
  return sessionStorage.getItem("token");
}

function signIn(value) {
  const trimmed = value.trim();
  const claims = claimsOf(trimmed);
  if (!claims || !claims.sub) {
    setError("That does not look like a sign-in token (a JWT with a subject). Paste the whole token.");
    return;
  }
  sessionStorage.setItem("token", trimmed);
  setError("");
  render();
}

function signOut() {
  sessionStorage.removeItem("token");
  $("token").value = "";
  show("result", false);
  render();
}

function render() {
  const current = token();
  const claims = current ? claimsOf(current) : null;
  show("signin-form", !claims);
  show("who", Boolean(claims));
  show("upload", Boolean(claims));
  $("subject").textContent = claims ? claims.sub : "";
}

// --- the API ------------------------------------------------------------------------------------------------------

async function api(method, path, body) {
  const response = await fetch(config.api_url + path, {
    method,
    headers: { Authorization: `Bearer ${token()}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  return { status: response.status, data };
}

function refusal(file, status, data) {
  if (status === 401) return "Your sign-in is not valid or has expired. Sign out and sign in again.";
  const error = data && data.error;
  if (error === "unsupported_content_type") {
    const accepted = (data && data.accepted_content_types) || config.accepted_content_types;
    return `“${file.name}” is not an image we accept. Choose a ${typeNames(accepted)} file.`;
  }
  if (error === "too_large") {
    return `“${file.name}” is too large: photos may be at most ${Math.floor(data.max_bytes / 1048576)} MB.`;
  }
  return (data && data.message) || `The upload could not start (HTTP ${status}).`;
}

// The presigned POST: the server's fields first, the file last (S3 ignores fields after it).
function postToS3(upload, file) {
  return new Promise((resolve) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", upload.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) $("progress").value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", () => resolve({ status: request.status, body: request.responseText }));
    request.addEventListener("error", () => resolve({ status: 0, body: "" }));
    request.send(form);
  });
}

function storageRefusal(result) {
  const code = (/<Code>([^<]+)<\/Code>/.exec(result.body) || [])[1];
  if (code === "EntityTooLarge") return "The photo is larger than the upload allows.";
  if (code === "EntityTooSmall") return "The file is empty.";
  if (result.status === 0) return "The upload was interrupted. Check your connection and try again.";
  return `The storage refused the upload (${code || `HTTP ${result.status}`}).`;
}

function showImage(record) {
  const thumbnails = $("thumbnails");
  thumbnails.replaceChildren();
  for (const t of record.thumbnails) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = t.url;
    img.width = t.width;
    img.height = t.height;
    img.alt = `Thumbnail, ${t.width} × ${t.height}`;
    img.dataset.width = String(t.width);
    const caption = document.createElement("figcaption");
    caption.textContent = `${t.width} × ${t.height}`;
    figure.append(img, caption);
    thumbnails.append(figure);
  }
  const meta = record.metadata || {};
  const rows = [
    ["Format", meta.format || record.content_type],
    ["Dimensions", meta.width && meta.height ? `${meta.width} × ${meta.height}` : null],
    ["Size", record.size != null ? `${record.size.toLocaleString()} bytes` : null],
    ["Uploaded", record.uploaded_at],
    ["Taken", meta.taken_at || (meta.exif && meta.exif.DateTimeOriginal)],
    ["Camera", meta.camera || (meta.exif && [meta.exif.Make, meta.exif.Model].filter(Boolean).join(" "))],
    ["SHA-256", meta.sha256],
  ];
  const list = $("metadata");
  list.replaceChildren();
  for (const [name, value] of rows) {
    if (value == null || value === "") continue;
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    dd.dataset.field = name.toLowerCase();
    list.append(dt, dd);
  }
  show("result", true);
}

async function waitForImage(id) {
  const started = Date.now();
  while (Date.now() - started < POLL_LIMIT_MS) {
    const { status, data } = await api("GET", `/images/${encodeURIComponent(id)}`);
    if (status === 200 && data.status === "ready") return { record: data };
    if (status === 200 && data.status === "rejected") {
      const reasons = Object.values(data.rejections || {}).map((r) => r.reason);
      return { error: REJECTIONS[reasons[0]] || "The photo could not be processed." };
    }
    if (status === 401) return { error: refusal(null, status, data) };
    if (status !== 200 && status !== 404) return { error: (data && data.message) || `HTTP ${status}` };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return { error: "The photo is taking longer than usual to process. Try again in a minute." };
}

async function upload(event) {
  event.preventDefault();
  const file = $("file").files[0];
  if (!file) return;
  setError("");
  show("result", false);
  $("upload-button").disabled = true;
  try {
    setStatus(`Preparing “${file.name}”…`);
    const signed = await api("POST", "/uploads", { content_type: contentTypeOf(file), size: file.size });
    if (signed.status !== 201) {
      setStatus("");
      setError(refusal(file, signed.status, signed.data));
      return;
    }
    $("progress").value = 0;
    show("progress", true);
    setStatus(`Uploading “${file.name}”…`);
    const posted = await postToS3(signed.data.upload, file);
    if (posted.status !== 204 && posted.status !== 201 && posted.status !== 200) {
      setStatus("");
      setError(storageRefusal(posted));
      return;
    }
    $("progress").value = 100;
    setStatus("Uploaded. Making thumbnails…");
    const outcome = await waitForImage(signed.data.id);
    if (outcome.error) {
      setStatus("");
      setError(outcome.error);
      return;
    }
    showImage(outcome.record);
    setStatus("Done.");
  } catch (error) {
    setStatus("");
    setError(`Something went wrong: ${error.message}`);
  } finally {
    $("upload-button").disabled = false;
  }
}

async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem("token", fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar
  }
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("token").value);
  });
  $("signout").addEventListener("click", signOut);
  $("upload-form").addEventListener("submit", upload);
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    config = await response.json();
    const extensions = Object.keys(config.content_types_by_extension || {});
    $("file").accept = [...config.accepted_content_types, ...extensions].join(",");
  } catch (_) {
    setError("The page is not configured (config.json is missing).");
  }
  render();
  document.body.dataset.ready = "true";
}

start();
