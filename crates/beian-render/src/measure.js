// Injected into a page rendered for its DOM: measures every run of five or more digits in
// the page's text — box, visibility, font size, contrast, and the icon beside it — and keeps
// the result as JSON in an element the audit reads back from the dump and removes
// (crates/beian-render/src/layout.rs; docs/rulebook.md §5.2). Measured again while the
// page's scripts run, so a footer written late is measured as it ends up.
//
// The mobile viewport is the same page loaded again in an iframe of a phone's size (390×844:
// media queries follow the frame's width), kept off the page and sandboxed so that its
// scripts cannot navigate the page; this script runs in it too and measures it, and the
// page's copy reads its result. One browser serves both viewports.
(function () {
  var OUT = 'beian-measure';
  var FRAME = 'beian-mobile';
  var MAX_RUNS = 300;
  var inFrame = window.top !== window;
  function rgba(s) {
    var m = /rgba?\(([^)]+)\)/.exec(s || '');
    if (!m) return [0, 0, 0, 0];
    var p = m[1].split(/[ ,\/]+/).filter(function (x) { return x.length; }).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, below) {
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + below[i] * (1 - a); }).concat([1]);
  }
  function luminance(c) {
    var v = [0, 1, 2].map(function (i) {
      var x = c[i] / 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  // The colour behind `el`: its own and its ancestors' backgrounds composed, over white.
  function background(el) {
    var layers = [];
    for (var a = el; a && a.nodeType === 1; a = a.parentElement) {
      var c = rgba(getComputedStyle(a).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    var bg = [255, 255, 255, 1];
    for (var i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  }
  // Why `el` (and what it holds) cannot be seen, or null.
  function hiddenBy(el, box) {
    var opacity = 1;
    for (var a = el; a && a.nodeType === 1; a = a.parentElement) {
      var cs = getComputedStyle(a);
      if (cs.display === 'none') return 'display:none';
      opacity *= parseFloat(cs.opacity);
      if (cs.clipPath && cs.clipPath !== 'none' && /inset\(50%|circle\(0|polygon\(0px 0px\)/.test(cs.clipPath)) return 'clipped';
      if (cs.clip && /rect\(0(px)?,? 0(px)?,? 0(px)?,? 0(px)?\)/.test(cs.clip)) return 'clipped';
      if (a !== el && /(hidden|clip|scroll|auto)/.test(cs.overflow) && a !== document.body && a !== document.documentElement) {
        var r = a.getBoundingClientRect();
        if (box.right <= r.left || box.left >= r.right || box.bottom <= r.top || box.top >= r.bottom) return 'clipped';
      }
    }
    if (getComputedStyle(el).visibility !== 'visible') return 'visibility:hidden';
    if (opacity < 0.1) return 'opacity ' + opacity.toFixed(2);
    if (box.width < 1 || box.height < 1) return 'zero size';
    return null;
  }
  function offScreen(x, y, w, h, docW, docH) {
    return x + w <= 0 || y + h <= 0 || x >= docW || y >= docH;
  }
  // The horizontal extent of the line the run sits on, in its block: a centred footer line
  // holds the ICP number beside others (the PSB number), so the line is what is centred.
  function line(el, box) {
    var block = el;
    while (block.parentElement && /^inline/.test(getComputedStyle(block).display)) block = block.parentElement;
    var r = document.createRange();
    r.selectNodeContents(block);
    var left = box.left, right = box.right;
    Array.prototype.forEach.call(r.getClientRects(), function (c) {
      if (c.width > 0 && c.top < box.bottom && c.bottom > box.top) {
        left = Math.min(left, c.left);
        right = Math.max(right, c.right);
      }
    });
    return [left, right - left];
  }
  function icon(el) {
    var link = el.closest('a');
    var imgs = link ? Array.prototype.slice.call(link.querySelectorAll('img')) : [];
    var prev = (link || el).previousElementSibling;
    if (prev && prev.tagName === 'IMG') imgs.push(prev);
    if (!imgs.length) return null;
    return imgs.some(function (img) { return hiddenBy(img, { width: 1, height: 1, left: 0, right: 1, top: 0, bottom: 1 }) === null; });
  }
  function measure() {
    var d = document.documentElement, b = document.body;
    if (!b) return;
    var sx = window.scrollX, sy = window.scrollY;
    var docW = Math.max(d.scrollWidth, b.scrollWidth, d.clientWidth);
    var docH = Math.max(d.scrollHeight, b.scrollHeight, d.clientHeight);
    var out = { viewport: [window.innerWidth, window.innerHeight], doc: [docW, docH], runs: [] };
    var walker = document.createTreeWalker(b, NodeFilter.SHOW_TEXT, null);
    var re = /[0-9\uFF10-\uFF19]{5,}/g, n, m;
    while ((n = walker.nextNode()) && out.runs.length < MAX_RUNS) {
      var el = n.parentElement;
      if (!el || /^(SCRIPT|STYLE|NOSCRIPT|TEMPLATE|TEXTAREA)$/.test(el.tagName)) continue;
      re.lastIndex = 0;
      while ((m = re.exec(n.data)) && out.runs.length < MAX_RUNS) {
        var range = document.createRange();
        range.setStart(n, m.index);
        range.setEnd(n, m.index + m[0].length);
        var box = range.getBoundingClientRect();
        var x = box.left + sx, y = box.top + sy;
        var cs = getComputedStyle(el);
        var why = hiddenBy(el, box);
        if (!why && offScreen(x, y, box.width, box.height, docW, docH)) why = 'off-screen';
        var ln = line(el, box);
        var bg = background(el);
        var fg = over(rgba(cs.color), bg);
        var l1 = luminance(fg), l2 = luminance(bg);
        out.runs.push({
          digits: m[0].replace(/[\uFF10-\uFF19]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); }),
          x: Math.round(x), y: Math.round(y), w: Math.round(box.width), h: Math.round(box.height),
          line_x: Math.round(ln[0] + sx), line_w: Math.round(ln[1]),
          hidden: why,
          font_px: parseFloat(cs.fontSize),
          contrast: Math.round(100 * (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05)) / 100,
          icon: icon(el)
        });
      }
    }
    var holder = document.getElementById(OUT);
    if (!holder) {
      holder = document.createElement('script');
      holder.type = 'application/json';
      holder.id = OUT;
      d.appendChild(holder);
    }
    if (!inFrame) {
      out.mobile = null;
      try {
        var frame = document.getElementById(FRAME);
        var result = frame && frame.contentDocument && frame.contentDocument.getElementById(OUT);
        if (result) out.mobile = JSON.parse(result.textContent);
      } catch (e) { /* not measured */ }
    }
    holder.textContent = JSON.stringify(out);
  }
  function mobileFrame() {
    if (inFrame || document.getElementById(FRAME)) return;
    var f = document.createElement('iframe');
    f.id = FRAME;
    f.setAttribute('sandbox', 'allow-scripts allow-same-origin');
    f.setAttribute('aria-hidden', 'true');
    f.style.cssText = 'position:absolute;left:-30000px;top:0;width:390px;height:844px;border:0';
    f.src = location.href.split('#')[0];
    document.documentElement.appendChild(f);
  }
  document.addEventListener('DOMContentLoaded', mobileFrame);
  if (document.readyState !== 'loading') mobileFrame();
  window.addEventListener('load', measure);
  setInterval(measure, 400);
})();
