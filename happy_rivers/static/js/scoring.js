// The rubric's scoring on the device, for the inspection form with no network.
//
// A small evaluator of the rubric document that GET /rubrics/<id>/<version>.json serves
// (scoring/client.py): every threshold, point value and curve end-point comes from there, and
// the rules are those of scoring/rules.py and scoring/engine.py, in the same order. The server
// stays authoritative; tests/browser/test_scoring_equivalence.py scores a few hundred answer
// sets both ways and compares every number.
//
// Exact arithmetic: Python's decimal.Decimal in its default context is emulated with BigInt —
// every +, −, ×, ÷ is correctly rounded to 28 significant digits (half-even), and points are
// quantized half-up to the cent — so a result never drifts from the server's by a cent.
//
// Pure: no DOM, no globals besides HRScoring; it runs as a classic script in a page or in a
// worker. No eval.
(function (root) {
  "use strict";
  if (typeof BigInt !== "function") return; // very old browser: the form uses the server alone

  var PREC = 28; // decimal.getcontext().prec
  var B0 = BigInt(0), B1 = BigInt(1), B2 = BigInt(2), B10 = BigInt(10);
  var POW10 = [B1];

  function pow10(n) {
    while (POW10.length <= n) POW10.push(POW10[POW10.length - 1] * B10);
    return POW10[n];
  }

  function digits(c) { return c === B0 ? 1 : c.toString().length; }

  // ---- decimals: value = (−1)^s × c × 10^e, c a BigInt ≥ 0 (a zero keeps its sign, as in Python)

  function Dec(s, c, e) { this.s = s; this.c = c; this.e = e; }

  var ZERO = new Dec(0, B0, 0);

  // Round to PREC significant digits, half-even. `sticky`: the exact value lies strictly above
  // c × 10^e (a division's non-zero remainder).
  function rounded(s, c, e, sticky) {
    var n = digits(c);
    if (n <= PREC) return new Dec(s, c, e);
    var drop = n - PREC, p = pow10(drop), half = p / B2;
    var q = c / p, rem = c % p;
    if (rem > half || (rem === half && (sticky || (q & B1) === B1))) q += B1;
    return new Dec(s, q, e + drop);
  }

  function add(a, b) {
    var e = Math.min(a.e, b.e);
    var x = a.c * pow10(a.e - e), y = b.c * pow10(b.e - e);
    var sum = (a.s ? -x : x) + (b.s ? -y : y);
    if (sum === B0) return new Dec(a.s && b.s ? 1 : 0, B0, e); // +0 unless both are −0
    return sum < B0 ? rounded(1, -sum, e) : rounded(0, sum, e);
  }

  function neg(a) { return new Dec(a.s ? 0 : 1, a.c, a.e); }
  function sub(a, b) { return add(a, neg(b)); }
  function mul(a, b) { return rounded(a.s ^ b.s, a.c * b.c, a.e + b.e); }

  function div(a, b) {
    var s = a.s ^ b.s;
    if (a.c === B0) return new Dec(s, B0, a.e - b.e);
    // enough digits that the quotient has more than PREC; the remainder decides ties
    var shift = Math.max(0, PREC + 2 + digits(b.c) - digits(a.c));
    var num = a.c * pow10(shift);
    var q = num / b.c, r = num % b.c;
    return rounded(s, q, a.e - b.e - shift, r !== B0);
  }

  // exact comparison (Decimal's ==, <, >): zeros are equal whatever their sign
  function cmp(a, b) {
    if (a.c === B0 && b.c === B0) return 0;
    var e = Math.min(a.e, b.e);
    var x = a.c * pow10(a.e - e), y = b.c * pow10(b.e - e);
    var vx = a.s ? -x : x, vy = b.s ? -y : y;
    return vx < vy ? -1 : vx > vy ? 1 : 0;
  }

  // Python's builtin max()/min() keep the first argument among equals (this decides a zero's sign)
  function max(a, b) { return cmp(b, a) > 0 ? b : a; }
  function min(a, b) { return cmp(b, a) < 0 ? b : a; }

  // quantize(Decimal("0.01"), ROUND_HALF_UP)
  function round2(x) {
    if (x.e >= -2) return new Dec(x.s, x.c * pow10(x.e + 2), -2);
    var p = pow10(-2 - x.e), q = x.c / p;
    if ((x.c % p) * B2 >= p) q += B1;
    return new Dec(x.s, q, -2);
  }

  function isIntegral(x) {
    if (x.e >= 0 || x.c === B0) return true;
    // a coefficient shorter than the fraction cannot be a multiple of it (and "1e-99999999"
    // must not build a hundred-million-digit power of ten)
    return -x.e < digits(x.c) && x.c % pow10(-x.e) === B0;
  }

  // str() of a Decimal quantized to cents: "12.30", "-0.00"
  function cents(x) {
    var t = x.c.toString();
    while (t.length < 3) t = "0" + t;
    return (x.s ? "-" : "") + t.slice(0, -2) + "." + t.slice(-2);
  }

  // ---- text to decimal, as Python's Decimal(str) reads it

  // str.isspace(): what str.strip() and Decimal() strip
  var PY_SPACE = "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002" +
    "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000";

  function pyStrip(text) {
    var i = 0, j = text.length;
    while (i < j && PY_SPACE.indexOf(text.charAt(i)) >= 0) i++;
    while (j > i && PY_SPACE.indexOf(text.charAt(j - 1)) >= 0) j--;
    return text.slice(i, j);
  }

  var ND = /\p{Nd}/u;

  // Decimal() accepts any Unicode decimal digit ("１２" is 12). Unicode assigns them in runs
  // of ten from 0, so a digit's value is its distance from the start of its run, modulo 10.
  function asciiDigits(text) {
    var out = "";
    for (var ch of text) {
      var cp = ch.codePointAt(0);
      if (cp < 128 || !ND.test(ch)) { out += ch; continue; }
      var start = cp;
      while (ND.test(String.fromCodePoint(start - 1))) start--;
      out += String((cp - start) % 10);
    }
    return out;
  }

  var NUMERIC = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;
  var SPECIAL = /^[+-]?(?:inf|infinity|s?nan\d*)$/i;

  // A Dec, the string "special" (NaN, Infinity: valid syntax, not finite), or null (not a number)
  function parseDecimal(text) {
    var t = asciiDigits(pyStrip(String(text))).replace(/_/g, ""); // CPython drops every "_"
    if (SPECIAL.test(t)) return "special";
    var m = NUMERIC.exec(t);
    if (!m) return null;
    var whole = m[2] !== undefined ? m[2] : "", frac = m[2] !== undefined ? (m[3] || "") : m[4];
    var e = (m[5] ? parseInt(m[5], 10) : 0) - frac.length;
    if (!isFinite(e)) return null;
    return new Dec(m[1] === "-" ? 1 : 0, BigInt(whole + frac), e);
  }

  function dec(text) { // a rubric number (always a string in the document)
    var d = parseDecimal(text);
    if (!(d instanceof Dec)) throw new Error("not a rubric number: " + text);
    return d;
  }

  function adjusted(x) { return x.e + digits(x.c) - 1; }

  // ---- answers' values, as rules.number() takes them

  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function own(obj, key) { return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined; }
  function isNone(v) { return v === null || v === undefined; }

  function FieldErrors(errors) { this.errors = errors; }

  function fail(path, reason) { var e = {}; e[path] = reason; throw new FieldErrors(e); }

  var INT_LIMIT = B2 ** BigInt(1024); // rules.number(): bit_length() > 1024 is "数值过大"

  // A JSON number as Python holds it: a float becomes Decimal(str(float)), whose digits are the
  // shortest that give the float back — the same digits as JavaScript's String(number).
  function number(value, path) {
    if (typeof value === "bigint") { // an int the form read exactly (beyond 2^53)
      if ((value < B0 ? -value : value) >= INT_LIMIT) fail(path, "too_large");
      return value < B0 ? new Dec(1, -value, 0) : new Dec(0, value, 0);
    }
    if (isNone(value)) fail(path, "required");
    if (typeof value !== "number") fail(path, "not_a_number");
    if (!isFinite(value)) fail(path, "not_finite");
    if (value === 0) return new Dec(Object.is(value, -0) ? 1 : 0, B0, 0);
    return parseDecimal(String(value));
  }

  function inRange(x, path, low, high) {
    if ((low && cmp(x, low) < 0) || (high && cmp(x, high) > 0)) fail(path, "range");
    return x;
  }

  function wholeNumber(value, path) {
    var n = number(value, path);
    if (!isIntegral(n) || (n.c !== B0 && n.s)) fail(path, "whole_number");
    return n;
  }

  function collect(errors, fn) {
    try { return fn(); } catch (e) {
      if (!(e instanceof FieldErrors)) throw e;
      Object.keys(e.errors).forEach(function (k) { errors[k] = e.errors[k]; });
      return undefined;
    }
  }

  function unknownKeys(value, known, code, errors) {
    Object.keys(value).sort().forEach(function (key) {
      if (known.indexOf(key) < 0) errors[code + "." + key] = "unknown";
    });
  }

  function raiseIf(errors) { if (Object.keys(errors).length) throw new FieldErrors(errors); }

  // ---- the rubric document, prepared once

  function prepare(doc) {
    var indicators = [], byCode = Object.create(null);
    var dimensions = doc.dimensions.map(function (d) {
      var max = dec(d.max);
      var codes = d.indicators.map(function (raw) {
        var p = raw.params || {}, ind = {
          code: raw.code, kind: raw.kind, dimension: d.code, max: dec(raw.max), raw: raw,
          options: raw.options.map(function (o) { return { code: o.code, value: dec(o.value) }; }),
        };
        ["full", "zero", "input_min", "input_max", "per", "step", "min_sample"].forEach(function (k) {
          if (p[k] !== undefined && p[k] !== null) ind[k] = dec(p[k]);
        });
        if (raw.kind === "water_class") {
          ind.required = p.required;
          ind.allowed = p.required.concat(p.optional);
          ind.optional = p.optional;
          ind.limits = {};
          p.required.forEach(function (k) { ind.limits[k] = p.limits[k].map(dec); });
          ind.fractions = p.class_fractions.map(dec);
        }
        ind.option = function (code) {
          if (typeof code !== "string") return null;
          for (var i = 0; i < ind.options.length; i++) if (ind.options[i].code === code) return ind.options[i];
          return null;
        };
        indicators.push(ind);
        byCode[ind.code] = ind;
        return ind.code;
      });
      return { code: d.code, max: max, floor: mul(max, dec(doc.decision.dimension_floor)), codes: codes };
    });
    var w = doc.water;
    return {
      doc: doc, indicators: indicators, byCode: byCode, dimensions: dimensions,
      gates: doc.gates,
      accept: dec(doc.decision.accept_total), conditional: dec(doc.decision.conditional_total),
      grades: doc.grades.map(function (g) { return { min: dec(g.min), label: g.label, label_en: g.label_en }; }),
      water: {
        labels: w.labels, worst: w.worst, floors: w.floor_parameters,
        phLow: dec(w.ph_range[0]), phHigh: dec(w.ph_range[1]), phMax: dec(w.ph_max),
      },
    };
  }

  var prepared = typeof WeakMap === "function" ? new WeakMap() : null;

  function plan(doc) {
    if (!prepared) return prepare(doc);
    var p = prepared.get(doc);
    if (!p) { p = prepare(doc); prepared.set(doc, p); }
    return p;
  }

  // ---- the rules (scoring/rules.py), each giving unrounded points or throwing FieldErrors

  // max × clamp((x − zero)/(full − zero), 0, 1), multiplying before the one division
  function linearPoints(top, x, full, zero) {
    return min(max(ZERO, div(mul(top, sub(x, zero)), sub(full, zero))), top);
  }

  var RULES = {
    linear: function (ind, value) {
      var x = inRange(number(value, ind.code), ind.code, ind.input_min, ind.input_max);
      return { points: linearPoints(ind.max, x, ind.full, ind.zero) };
    },
    deduction: function (ind, value) {
      var n = wholeNumber(value, ind.code);
      return { points: max(ZERO, sub(ind.max, mul(ind.per, new Dec(0, n.c, n.e)))) };
    },
    checklist: function (ind, value) {
      if (!Array.isArray(value)) fail(ind.code, "not_a_list");
      if (value.some(function (v) { return ind.option(v) === null; })) fail(ind.code, "unknown_item");
      if (new Set(value).size !== value.length) fail(ind.code, "repeated_item");
      var points = ZERO;
      ind.options.forEach(function (o) { if (value.indexOf(o.code) >= 0) points = add(points, o.value); });
      return { points: points };
    },
    judged: function (ind, value) {
      if (!isObject(value)) fail(ind.code, "not_an_object");
      var errors = {}, path = ind.code + ".points";
      var points = collect(errors, function () {
        var x = number(own(value, "points"), path);
        if (cmp(x, ZERO) < 0 || cmp(x, ind.max) > 0 || !multipleOf(x, ind.step)) fail(path, "step");
        return x;
      });
      var note = own(value, "note");
      if (typeof note !== "string" || !pyStrip(note)) errors[ind.code + ".note"] = "required";
      unknownKeys(value, ["points", "note"], ind.code, errors);
      raiseIf(errors);
      return { points: new Dec(0, points.c, points.e) }; // copy_abs(): a −0.0 is 0
    },
    choice: function (ind, value) {
      var option = ind.option(value);
      if (option === null) fail(ind.code, isNone(value) ? "required" : "unknown_option");
      return { points: mul(ind.max, option.value) };
    },
    water_class: function (ind, value, water) {
      if (!isObject(value)) fail(ind.code, "not_an_object");
      var errors = {}, measured = {};
      unknownKeys(value, ind.allowed, ind.code, errors);
      ind.allowed.forEach(function (key) {
        var path = ind.code + "." + key, raw = own(value, key);
        if (isNone(raw)) { if (ind.required.indexOf(key) >= 0) errors[path] = "required"; return; }
        collect(errors, function () {
          measured[key] = inRange(number(raw, path), path, ZERO, key === "ph" ? water.phMax : null);
        });
      });
      raiseIf(errors);
      var wq = waterQuality(ind, measured, water);
      return { points: mul(ind.max, ind.fractions[wq.number - 1]), water_quality: wq };
    },
    income_gap: function (ind, value) {
      if (!isObject(value)) fail(ind.code, "not_an_object");
      var errors = {}, rates = {};
      ["riverside", "district"].forEach(function (key) {
        var path = ind.code + "." + key;
        collect(errors, function () {
          rates[key] = inRange(number(own(value, key), path), path, ind.input_min, ind.input_max);
        });
      });
      unknownKeys(value, ["riverside", "district"], ind.code, errors);
      raiseIf(errors);
      return { points: linearPoints(ind.max, sub(rates.riverside, rates.district), ind.full, ind.zero) };
    },
    survey: function (ind, value) {
      if (!isObject(value)) fail(ind.code, "not_an_object");
      var errors = {}, ratePath = ind.code + ".rate", samplePath = ind.code + ".sample_size";
      var rate = collect(errors, function () {
        return inRange(number(own(value, "rate"), ratePath), ratePath, ind.input_min, ind.input_max);
      });
      collect(errors, function () {
        var n = wholeNumber(own(value, "sample_size"), samplePath);
        if (cmp(n, ind.min_sample) < 0) fail(samplePath, "sample_size");
      });
      unknownKeys(value, ["rate", "sample_size"], ind.code, errors);
      raiseIf(errors);
      return { points: linearPoints(ind.max, rate, ind.full, ind.zero) };
    },
  };

  function multipleOf(x, step) { // x % step == 0, exactly
    var e = Math.min(x.e, step.e);
    return (x.c * pow10(x.e - e)) % (step.c * pow10(step.e - e)) === B0;
  }

  // scoring/water.py water_quality_class: the worst parameter sets the class
  function waterQuality(ind, measured, water) {
    var classes = {}, worst = 0;
    ind.required.forEach(function (key) {
      var x = measured[key], floor = water.floors.indexOf(key) >= 0, number = water.worst;
      var limits = ind.limits[key];
      for (var i = 0; i < limits.length; i++) {
        if (floor ? cmp(x, limits[i]) >= 0 : cmp(x, limits[i]) <= 0) { number = i + 1; break; }
      }
      classes[key] = number;
    });
    // pH within range says nothing of the class; outside it the water is 劣Ⅴ
    var ph = measured.ph;
    if (ph && (cmp(ph, water.phLow) < 0 || cmp(ph, water.phHigh) > 0)) classes.ph = water.worst;
    Object.keys(classes).forEach(function (k) { worst = Math.max(worst, classes[k]); });
    var limiting = Object.keys(classes).filter(function (k) { return classes[k] === worst; }).sort();
    return { number: worst, label: water.labels[worst - 1], limiting: limiting, by_parameter: classes };
  }

  // ---- the engine (scoring/engine.py preview)

  function evaluate(p, answers) {
    var results = {}, errors = {}, missing = [];
    if (!isObject(answers)) return { results: results, errors: { answers: "not_an_object" }, missing: missing };
    Object.keys(answers).forEach(function (key) {
      if (key !== "gates" && !p.byCode[key]) errors[key] = "unknown_indicator";
    });
    p.indicators.forEach(function (ind) {
      var value = own(answers, ind.code);
      if (isNone(value) || value === "") { missing.push(ind.code); return; }
      try {
        var scored = RULES[ind.kind](ind, value, p.water);
        results[ind.code] = { points: round2(scored.points), water_quality: scored.water_quality || null };
      } catch (e) {
        if (!(e instanceof FieldErrors)) throw e;
        Object.keys(e.errors).forEach(function (k) { errors[k] = e.errors[k]; });
      }
    });
    return { results: results, errors: errors, missing: missing };
  }

  function manualGates(p, raw) {
    var ticked = {}, errors = {};
    if (isNone(raw)) return { ticked: ticked, errors: errors };
    if (!isObject(raw)) return { ticked: ticked, errors: { gates: "not_an_object" } };
    Object.keys(raw).forEach(function (code) {
      var gate = p.gates.filter(function (g) { return g.code === code; })[0], note = raw[code];
      if (!gate) errors["gates." + code] = "unknown_gate";
      else if (!gate.manual) errors["gates." + code] = "computed_gate";
      else if (typeof note !== "string" || !pyStrip(note)) errors["gates." + code] = "note_required";
      else ticked[code] = pyStrip(note);
    });
    return { ticked: ticked, errors: errors };
  }

  function computedGates(p, answers, results) {
    var held = {};
    p.gates.forEach(function (g) {
      if (g.when_option && own(answers, g.when_option.indicator) === g.when_option.option) held[g.code] = true;
      if (g.when_worst_class) {
        var r = results[g.when_worst_class];
        if (r && r.water_quality && r.water_quality.number === p.water.worst) held[g.code] = true;
      }
    });
    return held;
  }

  function decide(p, total, floorsMet, gates) {
    if (gates.length) return "rejected";
    if (floorsMet.some(function (met) { return !met; })) return "rejected";
    if (cmp(total, p.accept) >= 0) return "accepted";
    if (cmp(total, p.conditional) >= 0) return "conditional";
    return "rejected";
  }

  /**
   * What POST /assessments/<id>/preview answers (Preview.to_dict), from the rubric document and
   * an answers object (docs/scoring.md, "The answers object"), minus the texts (explanations and messages stay
   * the server's): errors map each bad field to a short reason code instead of a sentence.
   */
  function preview(doc, answers) {
    var p = plan(doc);
    var ev = evaluate(p, answers), results = ev.results, errors = ev.errors;
    var gates = { ticked: {}, errors: {} };
    if (isObject(answers)) {
      gates = manualGates(p, own(answers, "gates"));
      Object.keys(gates.errors).forEach(function (k) { errors[k] = gates.errors[k]; });
    }
    var subtotals = {}, floorsMet = [], sum = ZERO;
    p.dimensions.forEach(function (d) {
      var s = ZERO;
      d.codes.forEach(function (c) { if (results[c]) s = add(s, results[c].points); });
      s = round2(s);
      subtotals[d.code] = s;
      floorsMet.push(cmp(s, d.floor) >= 0);
      sum = add(sum, s);
    });
    var total = round2(sum);
    var computed = isObject(answers) ? computedGates(p, answers, results) : {};
    var held = p.gates.map(function (g) { return g.code; }).filter(function (c) {
      return own(gates.ticked, c) !== undefined || computed[c];
    }).sort();
    var complete = !ev.missing.length && !Object.keys(errors).length;
    // projected only once certain: a gate that holds rejects whatever is still missing
    var decision = held.length ? "rejected" : complete ? decide(p, total, floorsMet, held) : null;
    var grade = p.grades.filter(function (g) { return cmp(total, g.min) >= 0; })[0];
    var indicators = {}, water = null;
    p.indicators.forEach(function (ind) {
      var r = results[ind.code];
      if (!r) return;
      indicators[ind.code] = { points: cents(r.points), max: cents(round2(ind.max)) };
      if (r.water_quality) {
        indicators[ind.code].water_quality = r.water_quality;
        if (!water) water = r.water_quality;
      }
    });
    var subtotalText = {};
    Object.keys(subtotals).forEach(function (k) { subtotalText[k] = cents(subtotals[k]); });
    return {
      indicators: indicators,
      errors: errors,
      missing: ev.missing,
      complete: complete,
      subtotals: subtotalText,
      total: cents(total),
      gates: held.map(function (code) { return { code: code }; }),
      decision: decision,
      water_quality: water,
      grade: complete && grade ? grade.label : null, // score()'s grade, once complete
    };
  }

  // ---- the inspection form (forms/inspection.py): field values to answers, as the server reads them

  var MAX_EXPONENT = 15; // forms/inspection.py MAX_EXPONENT

  // forms/inspection.py _GROUPED: commas that group thousands ("1,000"); any other is refused
  var GROUPED = /^[-+]?[0-9]{1,3}([,\uff0c][0-9]{3})+(\.[0-9]*)?$/;

  // forms/inspection.py _parse_number: undefined when blank or refused (the reason in errors)
  function parseFormNumber(raw, path, errors) {
    var text = pyStrip(typeof raw === "string" ? raw : "");
    if (!text) return undefined;
    if (/[,\uff0c]/.test(text)) {
      if (!GROUPED.test(text)) { errors[path] = "comma"; return undefined; }
      text = text.replace(/[,\uff0c]/g, "");
    }
    var d = parseDecimal(text);
    if (d === null) { errors[path] = "not_a_number"; return undefined; }
    if (d === "special") { errors[path] = "not_finite"; return undefined; }
    if (d.c !== B0 && adjusted(d) > MAX_EXPONENT) { errors[path] = "too_large"; return undefined; }
    if (isIntegral(d) && text.indexOf(".") < 0) { // an int, exactly (a BigInt past 2^53)
      var n = d.e >= 0 ? d.c * pow10(d.e) : d.c / pow10(-d.e);
      if (d.s) n = -n;
      return Number.isSafeInteger(Number(n)) ? Number(n) : n;
    }
    return Number((d.s ? "-" : "") + d.c.toString() + "e" + d.e); // float(Decimal): nearest double
  }

  var PART_KEYS = { income_gap: ["riverside", "district"], survey: ["rate", "sample_size"] };

  /**
   * answers_from_form: `fields` maps each field name of the form to its value — a string for a
   * text box, select or radio group (null when no radio is chosen), an array for a checklist, a
   * boolean for a gate's checkbox. Returns {answers, errors} (errors: typed text that is no number).
   */
  function answersFromFields(doc, fields) {
    var p = plan(doc), answers = {}, errors = {};
    function field(name) { var v = own(fields, name); return v === undefined ? null : v; }
    p.indicators.forEach(function (ind) {
      var code = ind.code, kind = ind.kind, value;
      if (kind === "linear" || kind === "deduction") {
        value = parseFormNumber(field(code), code, errors);
        if (value !== undefined) answers[code] = value;
      } else if (kind === "checklist") {
        answers[code] = (field(code) || []).slice();
      } else if (kind === "choice") {
        if (field(code)) answers[code] = field(code);
      } else if (kind === "judged") {
        var points = field(code + "_points"), note = field(code + "_note") || "";
        if (points || pyStrip(note)) {
          value = parseFormNumber(points, code + ".points", errors);
          answers[code] = { points: value === undefined ? null : value, note: note };
        }
      } else {
        // water: the standard's parameters and pH (scoring/kinds/water_class.py parts)
        var keys = PART_KEYS[kind] || ind.required.concat(["ph"]), parts = {}, any = false;
        keys.forEach(function (key) {
          var v = parseFormNumber(field(code + "_" + key), code + "." + key, errors);
          if (v !== undefined) { parts[key] = v; any = true; }
        });
        if (any) answers[code] = parts;
      }
    });
    var gates = {};
    p.gates.forEach(function (g) {
      if (g.manual && field("gate_" + g.code)) gates[g.code] = field("gate_" + g.code + "_note") || "";
    });
    answers.gates = gates;
    return { answers: answers, errors: errors };
  }

  // forms/inspection.py field_name: "A3.tp" → "A3_tp", "gates.G2" → "gate_G2_note"
  function fieldName(path) {
    if (path.indexOf("gates.") === 0) return "gate_" + path.slice(6) + "_note";
    return path.split(".").join("_");
  }

  /**
   * What POST /assessments/<id>/preview answers for these form fields (views/inspect.py): the
   * preview of the answers read from them, its errors keyed by field name, and only the errors
   * about something typed ("please fill in" waits for submit).
   */
  function formPreview(doc, fields) {
    var read = answersFromFields(doc, fields);
    var body = preview(doc, read.answers), all = {}, shown = {};
    Object.keys(body.errors).forEach(function (k) { all[k] = body.errors[k]; });
    Object.keys(read.errors).forEach(function (k) { all[k] = read.errors[k]; });
    Object.keys(all).forEach(function (path) {
      var v = own(fields, fieldName(path));
      var typed = v === undefined || (typeof v !== "string" && v !== null) || pyStrip(v || "") !== "";
      if (typed) shown[fieldName(path)] = all[path];
    });
    body.errors = shown;
    return body;
  }

  root.HRScoring = {
    preview: preview,
    formPreview: formPreview,
    answersFromFields: answersFromFields,
    fieldName: fieldName,
  };
})(typeof self !== "undefined" ? self : this);
