// sharp's best multi-size pipeline, timed in-process: one shrink-on-load decode to the largest size
// (auto-orient, sRGB, flatten for JPEG), then every size resized from those pixels and encoded.
// Wall and CPU time are both reported (CPU time is what neighbours on a shared machine do not inflate).
// Usage: node bench.mjs <config.json>  -> JSON on stdout. Config: {files, sizes, format, quality, effort,
// background, repeats, outdir}.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import sharp from 'sharp';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
sharp.concurrency(1); // one libvips worker: the comparison is per core
sharp.cache(false); // no cross-run result cache

function encoder(pipeline) {
  if (cfg.format === 'webp') return pipeline.webp({ quality: cfg.quality, effort: cfg.effort });
  return pipeline.jpeg({ quality: cfg.quality, mozjpeg: false, progressive: false, optimiseCoding: false, chromaSubsampling: '4:2:0' });
}

async function thumbnails(buf) {
  const largest = Math.max(...cfg.sizes);
  let first = sharp(buf, { failOn: 'error' }).autoOrient().resize(largest, largest, { fit: 'inside', withoutEnlargement: true });
  if (cfg.format === 'jpeg') first = first.flatten({ background: cfg.background });
  const { data, info } = await first.raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  return Promise.all(
    cfg.sizes.map(async (size) => {
      const p = sharp(data, raw).resize(size, size, { fit: 'inside', withoutEnlargement: true });
      const out = await encoder(p).toBuffer({ resolveWithObject: true });
      return { size, width: out.info.width, height: out.info.height, body: out.data };
    }),
  );
}

const results = {};
mkdirSync(cfg.outdir, { recursive: true });
for (const file of cfg.files) {
  const buf = readFileSync(file);
  let first;
  try {
    first = await thumbnails(buf); // warm-up, and the outputs used for PSNR
  } catch (error) {
    // An input sharp's prebuilt libvips cannot read (HEIC: its libheif has no HEVC decoder) is reported, not fatal.
    results[file] = { error: String(error.message || error) };
    continue;
  }
  const outputs = first.map((t) => {
    const path = join(cfg.outdir, `${basename(file)}.${t.size}.${cfg.format}`);
    writeFileSync(path, t.body);
    return { size: t.size, width: t.width, height: t.height, path, bytes: t.body.length };
  });
  const ms = [];
  const cpuMs = [];
  for (let i = 0; i < cfg.repeats; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await thumbnails(buf);
    const c = process.cpuUsage(c0); // every thread of the process (libvips workers included)
    cpuMs.push((c.user + c.system) / 1000);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  results[file] = { ms, cpu_ms: cpuMs, outputs };
}
process.stdout.write(JSON.stringify({ sharp: sharp.versions, results }));
