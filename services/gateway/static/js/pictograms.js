// A pictogram per service for the kiosk tiles (static/img/services/<code>.svg, drawn
// for this project); a service without one gets service.svg. A new service gets its
// own by adding <code in lower case>.svg there and its code here.
const PICTOGRAMS = new Set(["SIM", "SKCK", "LOST_ITEM", "CROWD_PERMIT", "COMPLAINT"]);

export function pictogramUrl(code, version = "") {
  const name = PICTOGRAMS.has(code) ? code.toLowerCase() : "service";
  return `/static/img/services/${name}.svg${version ? `?v=${encodeURIComponent(version)}` : ""}`;
}
