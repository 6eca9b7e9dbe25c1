// Draws the app icons (web/public/icons/icon-192.png, icon-512.png) from the favicon's design:
// a blue square, a white 3×3 grid (一网) and an orange dot. Full-bleed, with everything inside
// the maskable safe zone, so one image serves as `any` and `maskable`.
// Run: node web/scripts/icons.mjs
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'icons')

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}
/** An RGB PNG of `size`×`size` from `pixel(x, y) → [r, g, b]` (x, y in the 64-unit design space). */
function png(size, pixel) {
  const SS = 4 // samples per axis per pixel (anti-aliasing)
  const raw = Buffer.alloc((size * 3 + 1) * size)
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0
      for (let sy = 0; sy < SS; sy++)
        for (let sx = 0; sx < SS; sx++) {
          const u = ((x + (sx + 0.5) / SS) / size) * 64
          const v = ((y + (sy + 0.5) / SS) / size) * 64
          const [pr, pg, pb] = pixel(u, v)
          r += pr
          g += pg
          b += pb
        }
      const o = y * (size * 3 + 1) + 1 + x * 3
      const n = SS * SS
      raw[o] = Math.round(r / n)
      raw[o + 1] = Math.round(g / n)
      raw[o + 2] = Math.round(b / n)
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 8
  ihdr[9] = 2
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

const BLUE = [31, 111, 235]
const WHITE = [255, 255, 255]
const ORANGE = [245, 166, 35]
const mix = (a, b, t) => a.map((x, i) => x + (b[i] - x) * t)

/** The favicon's design in its 64-unit space. */
function design(u, v) {
  // A soft top-to-bottom shade on the ground.
  let c = mix(BLUE, [22, 84, 196], v / 64)
  const lines = [22, 32, 42]
  const onH = lines.some((l) => Math.abs(v - l) <= 1.5) && u >= 14 && u <= 50
  const onV = lines.some((l) => Math.abs(u - l) <= 1.5) && v >= 14 && v <= 50
  if (onH || onV) c = mix(c, WHITE, 0.9)
  if ((u - 42) ** 2 + (v - 22) ** 2 <= 36) c = ORANGE
  return c
}

for (const size of [192, 512]) {
  const file = join(out, `icon-${size}.png`)
  writeFileSync(file, png(size, design))
  console.log(file)
}
