// 驾驶舱: a richer hover tooltip for the county map. Optional: without it the SVG <title>
// of each county still shows. Same-origin script, no inline code (CSP).
(function () {
  "use strict";
  var box = document.querySelector(".cockpit .map-box");
  if (!box) return;
  var tip = box.querySelector(".map-tip");
  if (!tip) return;
  box.addEventListener("mousemove", function (ev) {
    var el = ev.target.closest("path.county, circle, rect");
    var title = el && el.querySelector("title");
    if (!title) { tip.hidden = true; return; }
    var r = box.getBoundingClientRect();
    tip.textContent = title.textContent;
    tip.hidden = false;
    tip.style.left = Math.min(ev.clientX - r.left + 12, r.width - 200) + "px";
    tip.style.top = (ev.clientY - r.top + 12) + "px";
  });
  box.addEventListener("mouseleave", function () { tip.hidden = true; });
})();
