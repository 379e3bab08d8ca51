// Makes @zxing/library pick a QR code's three finder patterns by their geometry.
//
// Why: @zxing/library 0.23 still carries ZXing Java's pre-3.4 selection. Of the candidate
// 1:1:3:1:1 patterns it finds, it keeps the three seen on most rows with the most similar module
// size, without looking at where they are. A ticket's QR code (version 7, 45x45 modules) often
// holds a 1:1:3:1:1 run in its data area; on a sharp image that false candidate has exactly the
// module size of the real ones and can win, and the detector then fails ("No QR code found")
// or samples a skewed grid (checksum error). About one ticket code in twelve was affected,
// whatever the phone. ZXing Java 3.4 fixed it by choosing, among candidates of similar module
// size, the three that best form the isosceles right triangle the real patterns form; this is
// that choice, installed on the library's class (the module the readers use). The scan also
// stopped as soon as three candidates were confirmed twice, so a false one above the real
// bottom-left pattern ended it before that pattern was reached: it now goes on until the
// confirmed candidates include such a triangle.
import { NotFoundException } from "@zxing/library";
import FinderPatternFinder from "@zxing/library/esm/core/qrcode/detector/FinderPatternFinder";

const SIMILAR_MODULE_SIZE = 1.4; // the largest module size allowed, as a multiple of the smallest

function squaredDistance(a, b) {
  const x = a.getX() - b.getX();
  const y = a.getY() - b.getY();
  return x * x + y * y;
}

function distortion(p, q, r) {
  const [a, b, c] = [squaredDistance(p, q), squaredDistance(q, r), squaredDistance(p, r)].sort((x, y) => x - y);
  return { value: Math.abs(c - 2 * b) + Math.abs(c - 2 * a), hypotenuse: c };
}

/** The three candidates closest to an isosceles right triangle (a and b the legs, c the
 * hypotenuse: c = 2a = 2b in squared lengths). */
export function selectByGeometry(candidates) {
  if (candidates.length < 3) throw new NotFoundException();
  const sorted = [...candidates].sort((p, q) => p.getEstimatedModuleSize() - q.getEstimatedModuleSize());
  let best = null;
  let least = Infinity;
  for (let i = 0; i < sorted.length - 2; i++) {
    const smallest = sorted[i].getEstimatedModuleSize();
    for (let j = i + 1; j < sorted.length - 1; j++) {
      for (let k = j + 1; k < sorted.length; k++) {
        if (sorted[k].getEstimatedModuleSize() > smallest * SIMILAR_MODULE_SIZE) continue;
        const d = distortion(sorted[i], sorted[j], sorted[k]).value;
        if (d < least) {
          least = d;
          best = [sorted[i], sorted[j], sorted[k]];
        }
      }
    }
  }
  if (!best) throw new NotFoundException();
  return best;
}

const CONFIRMED = 2; // rows a candidate was seen on before the library counts it as confirmed
const SQUARE_ENOUGH = 0.1; // distortion, relative to the squared hypotenuse, of a real code's three

const libraryStop = FinderPatternFinder.prototype.haveMultiplyConfirmedCenters;

FinderPatternFinder.prototype.haveMultiplyConfirmedCenters = function haveMultiplyConfirmedCenters() {
  if (!libraryStop.call(this)) return false;
  const confirmed = this.possibleCenters.filter((p) => p.getCount() >= CONFIRMED);
  let d;
  try {
    d = distortion(...selectByGeometry(confirmed));
  } catch (err) {
    if (err instanceof NotFoundException) return false; // no three of a similar size yet: scan on
    throw err;
  }
  return d.value <= SQUARE_ENOUGH * d.hypotenuse;
};

FinderPatternFinder.prototype.selectBestPatterns = function selectBestPatterns() {
  return selectByGeometry(this.possibleCenters);
};
