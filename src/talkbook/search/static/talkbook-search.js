/*
 * talkbook.search: the search engine of the search page.
 *
 * Loaded only when the reader searches (see the loader in the search page template).
 * It fetches meta.js (pages, titles, lengths, settings) and then only the shards that
 * hold the query's words (s<N>.js, terms hashed by their first character).
 *
 * A shard is one string, "term\tpostings\n..." sorted by term (UTF-16 order): a string
 * literal costs the browser next to nothing to parse, where an object of ten thousand
 * arrays took it 10-25 ms per hot shard.  A term is found by binary search over the lines
 * and only the postings of the terms a query touches are ever decoded.
 *
 * Query analysis, per word:
 *   1. the word itself and its stem (Stemmer from stemmer.js: particles and endings
 *      stripped, guided by the index; Latin words porter-stemmed);
 *   2. the variant table (라이센스 -> 라이선스, 주피터 -> jupyter), also after stripping;
 *   3. when nothing is known: the best cover of the word by index terms (버전관리 ->
 *      버전 + 관리), fewest pieces;
 *   4. then one edit (on jamo for Hangul) for words of 3+ syllables / 5+ letters;
 *   5. then terms that share all but the last syllable (프로파일링 -> 프로파일러).
 * A word that stays unknown is dropped: it never empties the results.
 *
 * Ranking: BM25 with field weights (page title > section title > body) summed over the
 * query's words (a word's alternatives count as one term), pages holding every word first,
 * then most; a bonus when the page title holds the whole query (a bonus when the words
 * first occur in the same section, R.proximity, is off: on the glossary, a page of one
 * section, and on topic threads it rewarded pages that merely list the words); x exp(-hub * share^3) for the share of the page's words that
 * are link text (tag and listing pages point to answers), unless the query has three words
 * or more and the page title holds them in order (it names the page).  Ties go to the
 * shorter page, then to the page met first in the table of contents.
 */
(function () {
  "use strict";
  const TS = (window.TalkbookSearch = window.TalkbookSearch || {});
  // ranking constants (scripts/search_eval.py --tune may override them for a run)
  const R = Object.assign({ k1: 1.2, b: 0.4, title: 3, section: 3, proximity: 0,
    phrase: 0.5, hub: 40 }, TS.tuning || {});
  const HANGUL = /[\uAC00-\uD7A3]/;
  const SYLLABLE = (ch) => ch >= "\uAC00" && ch <= "\uD7A3";

  // where the index lives: this script's folder
  const here = (document.currentScript && document.currentScript.src) || "";
  const base = TS.base || here.slice(0, here.lastIndexOf("/") + 1);
  const siteRoot = new URL("../../", base).href;

  TS.setTuning = (o) => Object.assign(R, o); // for scripts/search_eval.py experiments
  const pending = {};
  const loadScript = (name) => {
    if (!pending[name]) {
      pending[name] = new Promise((resolve, reject) => {
        const s = document.createElement("script");
        s.src = base + name;
        s.async = true;
        s.onload = () => resolve();
        s.onerror = () => reject(new Error("cannot load " + name));
        document.head.appendChild(s);
      });
    }
    return pending[name];
  };

  let meta = null;
  let stemmer = null;
  const shards = {}; // shard number -> its text
  const lines = {}; // shard number -> Map term -> [start, end] of its postings, or null
  const decoded = new Map();
  TS.meta = (m) => { meta = m; };
  TS.shard = (i, data) => { shards[i] = data; lines[i] = new Map(); };
  TS.bytesLoaded = () => performance.getEntriesByType("resource")
    .filter((e) => e.name.startsWith(base)).reduce((a, e) => a + (e.encodedBodySize || 0), 0);

  const ready = () => loadScript("meta.js").then(() => loadScript("stemmer.js")).then(() => {
    if (!stemmer) stemmer = new Stemmer(); // also defines talkbookKoreanCandidates
  });

  // --- shards ----------------------------------------------------------------------
  const shardKey = (t) => (SYLLABLE(t[0]) ? t[0] : t.slice(0, 2));
  const shardOf = (t) => {
    let h = 0;
    for (const ch of shardKey(t)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    return h % meta.n;
  };
  const need = (terms) => Promise.all(
    [...new Set(terms.filter((t) => t).map(shardOf))].map((i) => loadScript("s" + i + ".js"))
  );
  const has = (obj, key) => !!obj && Object.prototype.hasOwnProperty.call(obj, key);
  // where term t's postings are in its shard's text: binary search over the sorted lines
  const find = (s, t) => {
    let lo = 0, hi = s.length; // lo is always the start of a line
    while (lo < hi) {
      // the line holding the middle character (lo <= ls <= mid < hi)
      const ls = Math.max(lo, s.lastIndexOf("\n", ((lo + hi) >> 1) - 1) + 1);
      const tab = s.indexOf("\t", ls);
      let le = s.indexOf("\n", tab);
      if (le < 0) le = s.length;
      const key = s.slice(ls, tab);
      if (key === t) return [tab + 1, le];
      if (key < t) lo = le + 1;
      else hi = ls;
    }
    return null;
  };
  const locate = (t) => {
    if (!t) return null;
    const i = shardOf(t);
    const seen = lines[i];
    if (!seen) return null;
    let at = seen.get(t);
    if (at === undefined) seen.set(t, (at = find(shards[i], t)));
    return at;
  };
  const known = (t) => locate(t) !== null;
  // the numbers of "1,2,-3" between a and b
  const numbers = (s, a, b) => {
    let count = 1;
    for (let i = a; i < b; i++) if (s.charCodeAt(i) === 44) count++;
    const out = new Int32Array(count);
    let k = 0, v = 0, sign = 1;
    for (let i = a; i < b; i++) {
      const c = s.charCodeAt(i);
      if (c === 44) { out[k++] = sign * v; v = 0; sign = 1; }
      else if (c === 45) sign = -1;
      else v = v * 10 + c - 48;
    }
    out[k] = sign * v;
    return out;
  };
  // {docs, codes} of a term (typed arrays: a common word is on most pages)
  const NONE = { docs: new Int32Array(0), codes: new Int32Array(0) };
  const postings = (t) => {
    const at = locate(t);
    if (!at) return NONE;
    let out = decoded.get(t);
    if (out) return out;
    const raw = numbers(shards[shardOf(t)], at[0], at[1]);
    let n = 0;
    for (let i = 0; i < raw.length; i++) if (raw[i] >= 0) i++, n++; else n++;
    out = { docs: new Int32Array(n), codes: new Int32Array(n) };
    let doc = -1;
    for (let i = 0, k = 0; i < raw.length; i++, k++) {
      const d = raw[i];
      if (d < 0) { doc -= d; out.codes[k] = 1; }
      else { doc += d; out.codes[k] = raw[++i]; }
      out.docs[k] = doc;
    }
    decoded.set(t, out);
    return out;
  };
  // for the Korean stemmer (stemmer.js): the pages that hold a term, as a read-only set
  // over the sorted postings (a Set of ten thousand pages cost more than the lookups)
  class DocSet {
    constructor(docs) { this.docs = docs; }
    get size() { return this.docs.length; }
    has(d) {
      const a = this.docs;
      let lo = 0, hi = a.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (a[mid] < d) lo = mid + 1; else hi = mid;
      }
      return lo < a.length && a[lo] === d;
    }
    [Symbol.iterator]() { return this.docs[Symbol.iterator](); }
  }
  TS.docsOf = (t) => new DocSet(postings(t).docs);

  // --- words -----------------------------------------------------------------------
  // the stem depends on the word's own shard (the stemmer is guided by the index):
  // remembered once that shard is there
  const stems = new Map();
  const stem = (w) => {
    if (!stemmer) stemmer = new Stemmer();
    let s = stems.get(w);
    if (s === undefined) {
      s = stemmer.stemWord(w);
      if (shards[shardOf(w)]) stems.set(w, s);
    }
    return s;
  };
  const splitQuery = (q) => q.normalize("NFC").toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter((w) => w);
  const candidates = (w) => (HANGUL.test(w) && typeof talkbookKoreanCandidates === "function"
    ? talkbookKoreanCandidates(w) : []);

  const jamoCache = new Map();
  const jamo = (w) => {
    let out = jamoCache.get(w);
    if (out) return out;
    out = [];
    jamoCache.set(w, out);
    for (const ch of w) {
      const c = ch.charCodeAt(0) - 0xAC00;
      if (c >= 0 && c < 11172) {
        out.push(1000 + Math.floor(c / 588), 2000 + Math.floor((c % 588) / 28));
        if (c % 28) out.push(3000 + (c % 28));
      } else out.push(ch.charCodeAt(0));
    }
    return out;
  };
  // at most one insertion, deletion, substitution or transposition
  const withinOne = (a, b) => {
    if (Math.abs(a.length - b.length) > 1) return false;
    let i = 0;
    while (i < a.length && i < b.length && a[i] === b[i]) i++;
    if (i === a.length && i === b.length) return true;
    let j = a.length - 1, k = b.length - 1;
    while (j >= i && k >= i && a[j] === b[k]) { j--; k--; }
    const ra = j - i + 1, rb = k - i + 1; // lengths of the differing middles
    if (ra <= 1 && rb <= 1) return true;
    return ra === 2 && rb === 2 && a[i] === b[i + 1] && a[i + 1] === b[i];
  };
  const longEnough = (w) => (HANGUL.test(w) ? [...w].length >= 3 : w.length >= 5);
  const df = (t) => postings(t).docs.length;

  const variantsOf = (w) => (meta.variants && has(meta.variants, w) ? meta.variants[w] : null);

  // alternatives for one query word: Map term -> weight; plus the terms to load
  const exactAlts = (w) => {
    const alts = new Map();
    const add = (t, weight) => { if (known(t) && !(alts.get(t) >= weight)) alts.set(t, weight); };
    add(w, 1);
    add(stem(w), 1);
    return alts;
  };
  const variantTerms = (w) => {
    for (const form of [w, ...candidates(w)]) {
      const v = variantsOf(form);
      if (v) return v;
    }
    return null;
  };

  // the index term for chars[i..j) as a piece of a compound, or null
  const pieceTerm = (chars, i, j) => {
    const piece = chars.slice(i, j).join("");
    if (known(piece)) return piece;
    if (variantsOf(piece)) return variantsOf(piece).find(known) || null;
    if (j === chars.length) { const s = stem(piece); if (s !== piece && known(s)) return s; }
    return null;
  };
  // best cover of w by known terms (fewest pieces, then longest shortest piece)
  const segment = (w) => {
    const chars = [...w];
    const n = chars.length;
    const best = new Array(n + 1).fill(null);
    best[0] = { pieces: [], min: Infinity };
    for (let i = 0; i < n; i++) {
      if (!best[i]) continue;
      for (let j = i + 2; j <= n; j++) {
        const term = pieceTerm(chars, i, j);
        if (!term) continue;
        const cand = { pieces: best[i].pieces.concat([term]), min: Math.min(best[i].min, j - i) };
        const cur = best[j];
        if (!cur || cand.pieces.length < cur.pieces.length
            || (cand.pieces.length === cur.pieces.length && cand.min > cur.min)) best[j] = cand;
      }
    }
    return best[n] && best[n].pieces.length > 1 ? best[n].pieces : null;
  };

  // every term of w's shard (typo and prefix scans), listed once per shard
  const termLists = {};
  const shardTerms = (w) => {
    const i = shardOf(w);
    const s = shards[i];
    if (s === undefined) return [];
    if (!termLists[i]) {
      const out = [];
      for (let at = 0; at < s.length;) {
        const tab = s.indexOf("\t", at);
        if (tab < 0) break;
        out.push(s.slice(at, tab));
        const le = s.indexOf("\n", tab);
        at = le < 0 ? s.length : le + 1;
      }
      termLists[i] = out;
    }
    return termLists[i];
  };

  const fuzzy = (forms) => {
    const found = new Map();
    for (const w of forms) {
      if (!longEnough(w)) continue;
      const a = jamo(w);
      const n = w.length;
      for (const t of shardTerms(w)) {
        // one jamo edit changes the length by at most one syllable (letter)
        if (t === w || t.length > n + 1 || t.length < n - 1) continue;
        if (withinOne(a, jamo(t))) found.set(t, 0.8);
      }
      if (found.size) break;
    }
    return top(found, 3);
  };
  const prefixed = (forms) => {
    const found = new Map();
    for (const w of forms) {
      const chars = [...w];
      const hangul = HANGUL.test(w);
      if (hangul ? chars.length < 4 : chars.length < 6) continue;
      const prefix = hangul ? chars.slice(0, -1).join("") : w.slice(0, -2);
      for (const t of shardTerms(w)) if (t !== w && t.startsWith(prefix)) found.set(t, 0.7);
      if (found.size) break;
    }
    return top(found, 3);
  };
  const top = (alts, k) => new Map(
    [...alts].sort((x, y) => df(y[0]) - df(x[0]) || (x[0] < y[0] ? -1 : 1)).slice(0, k)
  );

  const queryWords = (query) => {
    let words = splitQuery(query);
    const stop = new Set(meta.stopwords || []);
    const content = words.filter((w) => !stop.has(w));
    if (content.length) words = content;
    return [...new Set(words)];
  };

  /** Groups of one analysed word ({word, alts: Map(term -> weight), how}); every shard
   * it may look at must be loaded (see analyse). */
  const analyseWord = (w) => {
    let alts = exactAlts(w);
    let how = "exact";
    const v = variantTerms(w);
    if (v) {
      if (!alts.size) how = "variant";
      for (const t of v) if (known(t) && !alts.has(t)) alts.set(t, 0.95);
    }
    if (!alts.size) {
      const pieces = segment(w);
      if (pieces) return pieces.map((p) => ({ word: p, alts: new Map([[p, 1]]), how: "split" }));
      const forms = [w, ...candidates(w)];
      alts = fuzzy(forms);
      how = "typo";
      if (!alts.size) { alts = prefixed(forms); how = "prefix"; }
      if (!alts.size) how = "unknown";
    }
    return [{ word: w, alts, how }];
  };

  /** Fetch what segment(w) looks at: the pieces starting where a known piece ends (the
   * positions segment can reach), one wave of shards per piece, the word's own shard
   * first.  A compound of two words costs one shard more, where fetching the shard of
   * every position cost one per syllable (five for 쿠버네티스파티션, in parallel, and
   * the slowest of five requests on a busy machine). */
  const segmentShards = async (w) => {
    const chars = [...w];
    const n = chars.length;
    const seen = new Set([0]);
    let wave = [0];
    while (wave.length) {
      // every piece from these positions, and the variant-table terms they may stand for
      const pieces = wave.flatMap((i) => Array.from({ length: n - i - 1 },
        (_x, k) => chars.slice(i, i + 2 + k).join("")));
      await need(pieces.flatMap((p) => [p, ...(variantsOf(p) || [])]));
      const next = [];
      for (const i of wave)
        for (let j = i + 2; j <= n - 2; j++)
          if (!seen.has(j) && pieceTerm(chars, i, j)) { seen.add(j); next.push(j); }
      wave = next;
    }
  };

  /** Analyse a query: load the shards its words need, then analyse each word. */
  const analyse = async (query) => {
    await ready();
    const words = queryWords(query);
    // the variant table is in meta.js: the shards of its terms come with the words' own
    await need(words.flatMap((w) => [w, ...(variantTerms(w) || [])]));
    await need(words.map(stem)); // the stemmer is guided by the word's own shard
    const unknown = words.filter((w) => !exactAlts(w).size);
    await Promise.all(unknown.map(segmentShards));
    return words.flatMap(analyseWord);
  };

  // per page, computed once: the number of title words (title weight is spread over
  // them: a short title that is mostly the query says more than a long one that mentions
  // it; 0 = not yet), the lower-case title, the title as words (punctuation dropped)
  // spaced at both ends for whole-word tests
  let titleWords = null;
  const titleLower = [];
  const titleTexts = [];
  const titleSize = (doc) => {
    if (!titleWords) titleWords = new Int32Array(meta.docs.length);
    if (!titleWords[doc]) titleWords[doc] = Math.max(1, splitQuery(meta.docs[doc][1]).length);
    return titleWords[doc];
  };
  const titleText = (doc) => {
    let t = titleTexts[doc];
    if (t === undefined) titleTexts[doc] = t = ` ${splitQuery(meta.docs[doc][1]).join(" ")} `;
    return t;
  };
  const lowerTitle = (doc) => {
    let t = titleLower[doc];
    if (t === undefined) titleLower[doc] = t = meta.docs[doc][1].toLowerCase();
    return t;
  };

  // page lengths as an array (tie-breaking in order below)
  let lengths = null;
  const pageLengths = () => {
    if (!lengths) lengths = Int32Array.from(meta.docs, (d) => d[2]);
    return lengths;
  };
  const byLength = (a, b) => lengths[a] - lengths[b] || a - b;
  const SLOT = 2 ** 21; // pages per key slot (doc numbers below it)

  /** Sort pages in place: words matched (most first), then score (highest first), then
   * page length (shortest first), then page number.  Most of a query's time went into a
   * comparator sort of thousands of pages; here the typed arrays' native sort does the
   * work: the distinct scores are sorted once, each page gets the key (words missed,
   * score rank) * SLOT + page, and only pages with equal scores are compared by length.
   * The same order as the comparator sort, which stays for cases the key cannot hold. */
  const order = (pages, matched, total, words) => {
    const m = pages.length;
    pageLengths();
    const scores = new Float64Array(m);
    for (let i = 0; i < m; i++) scores[i] = total[pages[i]];
    scores.sort();
    let u = 0; // distinct scores, ascending
    for (let i = 0; i < m; i++) if (u === 0 || scores[i] !== scores[u - 1]) scores[u++] = scores[i];
    if (meta.docs.length >= SLOT || (words + 1) * u >= 2 ** 32 || (u && Number.isNaN(scores[u - 1]))) {
      pages.sort((a, b) => matched[b] - matched[a] || total[b] - total[a] || byLength(a, b));
      return;
    }
    const keys = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const doc = pages[i], score = total[doc];
      let lo = 0, hi = u - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (scores[mid] < score) lo = mid + 1; else hi = mid;
      }
      keys[i] = ((words - matched[doc]) * u + (u - 1 - lo)) * SLOT + doc;
    }
    keys.sort();
    for (let i = 0; i < m;) {
      const slot = Math.floor(keys[i] / SLOT);
      let j = i, mixed = false; // equal scores, pages in number order: of other lengths?
      while (j < m && Math.floor(keys[j] / SLOT) === slot) {
        pages[j] = keys[j] % SLOT;
        if (j > i && lengths[pages[j]] !== lengths[pages[i]]) mixed = true;
        j++;
      }
      if (mixed) {
        const tied = pages.slice(i, j).sort(byLength);
        for (let k = i; k < j; k++) pages[k] = tied[k - i];
      }
      i = j;
    }
  };

  /** Rank pages for analysed groups: [{doc, url, title, len, score, matched}].
   * Per word (its alternatives as one term): idf * (BM25 of body + section-title hits, plus
   * a page-title bonus / sqrt(title words)); summed over words; x (1 + proximity share);
   * x (1 + phrase) when the page title holds the whole query.
   * Per-page figures live in arrays indexed by page (a common word is on most of ten
   * thousand pages: an object and two typed arrays per page cost 10-40 ms). */
  const rank = (groups, query) => {
    const live = groups.filter((g) => g.alts.size);
    const n = meta.docs.length;
    const total = new Float64Array(n); // summed word scores
    const matched = new Int32Array(n); // words with a score > 0
    const present = new Uint8Array(n);
    const pages = []; // pages holding any word, as met
    // per word, reused: best tf / title / section-title count of the word's forms
    const tfs = new Float64Array(n), titles = new Float64Array(n), secs = new Float64Array(n);
    const stamp = new Int32Array(n); // = word number + 1 once the word's hits are on the page
    const hits = new Int32Array(n);
    // first sections feed only the proximity bonus (off by default): kept only when on
    const firsts = R.proximity ? new Int32Array(n * live.length).fill(-1) : null;
    live.forEach((g, gi) => {
      // a word's alternatives count as one term (as a synonym query does): the pages that
      // hold any of them, and per page the best weighted occurrence count.  Not a sum: a
      // surface form and its stem are indexed for the same occurrence (컨슈머를, 컨슈머)
      const mark = gi + 1;
      let count = 0;
      for (const [t, weight] of g.alts) {
        const { docs, codes } = postings(t);
        const many = docs.length > 1;
        for (let k = 0; k < docs.length; k++) {
          const doc = docs[k], code = codes[k];
          const tf = (code & 63) * weight, title = ((code >> 6) & 1) * weight;
          const sec = ((code >> 7) & 3) * weight;
          if (stamp[doc] !== mark) {
            stamp[doc] = mark;
            hits[count++] = doc;
            tfs[doc] = tf; titles[doc] = title; secs[doc] = sec;
          } else {
            if (tf > tfs[doc]) tfs[doc] = tf;
            if (title > titles[doc]) titles[doc] = title;
            if (sec > secs[doc]) secs[doc] = sec;
          }
          if (firsts) {
            // a term on one page has no first section in the index (engine.write_index);
            // the earliest section where any form of the word occurs
            const first = many ? code >> 9 : -1, at = doc * live.length + gi;
            if (first >= 0 && (firsts[at] < 0 || first < firsts[at])) firsts[at] = first;
          }
        }
      }
      const idf = Math.log(1 + (n - count + 0.5) / (count + 0.5));
      for (let k = 0; k < count; k++) {
        const doc = hits[k];
        const wtf = tfs[doc] + R.section * secs[doc];
        const len = meta.docs[doc][2];
        const body = wtf ? (wtf * (R.k1 + 1)) / (wtf + R.k1 * (1 - R.b + (R.b * len) / meta.avglen)) : 0;
        const title = titles[doc];
        const s = idf * (body + (title ? (R.title * title) / Math.sqrt(titleSize(doc)) : 0));
        total[doc] += s;
        if (s > 0) matched[doc]++;
        if (!present[doc]) { present[doc] = 1; pages.push(doc); }
      }
    });
    const phrase = (query || "").normalize("NFC").toLowerCase().replace(/\s+/g, " ").trim();
    // three words or more that a page title holds in order (punctuation aside) name that
    // page: the reader is looking for it, hub or not (a talk's record found by its title)
    const named = splitQuery(query || "");
    const naming = named.length >= 3 ? ` ${named.join(" ")} ` : null;
    for (const doc of pages) {
      let score = total[doc];
      if (firsts) {
        // proximity: pairs of words that first occur in the same section
        let pairs = 0, both = 0;
        const f = firsts.subarray(doc * live.length, (doc + 1) * live.length);
        for (let i = 0; i < f.length; i++)
          for (let j = i + 1; j < f.length; j++) {
            if (f[i] < 0 || f[j] < 0) continue;
            both++;
            if (f[i] === f[j]) pairs++;
          }
        if (both) score *= 1 + (R.proximity * pairs) / both;
      }
      const len = meta.docs[doc][2], links = meta.docs[doc][3];
      if (phrase.length > 1 && lowerTitle(doc).includes(phrase)) score *= 1 + R.phrase;
      // a hub (a tag or listing page, a record made mostly of links) points to the answer
      // rather than being it: damped by its share of link words, cubed so that prose with
      // links here and there keeps its score (a tenth of link words: -4%; a fifth: -27%;
      // a third: -77%; half: -99%)
      if (links && len && !(naming && titleText(doc).includes(naming)))
        score *= Math.exp(-R.hub * (links / len) ** 3);
      total[doc] = score;
    }
    order(pages, matched, total, live.length);
    return pages.map((doc) => {
      const [url, title, len] = meta.docs[doc];
      return { doc, url, title, len, score: total[doc], matched: matched[doc] };
    });
  };

  /** Fetch what a query being typed will need (meta.js, the shards of its words so far):
   * a Hangul word's shard is fixed by its first syllable, a Latin word's by its first two
   * letters, so the shard is usually in the cache before the reader presses Enter. */
  TS.prefetch = async (query) => {
    await ready();
    await need(queryWords(query));
  };

  /** Search: resolves to {groups, results, ms}. */
  TS.search = async (query) => {
    const t0 = performance.now();
    const groups = await analyse(query);
    const results = rank(groups, query);
    return { groups, results, ms: performance.now() - t0 };
  };

  // --- the search page ---------------------------------------------------------------
  const _ = (s) => (typeof Documentation !== "undefined" && Documentation.gettext
    ? Documentation.gettext(s) : s);

  const snippet = async (url, terms, words) => {
    const resp = await fetch(siteRoot + url);
    if (!resp.ok) return "";
    const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
    const main = doc.querySelector("article") || doc.querySelector("[role=main]") || doc.querySelector("main") || doc.body;
    main.querySelectorAll("script, style, form, select, .headerlink").forEach((n) => n.remove());
    const text = (main.textContent || "").replace(/\s+/g, " ").trim();
    const lower = text.toLowerCase();
    let at = -1;
    for (const t of [...words, ...terms]) {
      const i = lower.indexOf(t.replace(/다$/, ""));
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    const start = Math.max(0, at - 60);
    return (start > 0 ? "…" : "") + text.slice(start, start + 220) + (text.length > start + 220 ? "…" : "");
  };

  let generation = 0;
  TS.render = async (query) => {
    const out = document.getElementById("search-results");
    if (!out) return;
    const mine = ++generation;
    out.replaceChildren();
    const h2 = document.createElement("h2");
    h2.textContent = _("Searching");
    const status = document.createElement("p");
    status.className = "search-summary";
    const list = document.createElement("ul");
    list.className = "search";
    out.append(h2, status, list);
    const { groups, results } = await TS.search(query);
    if (mine !== generation) return;
    h2.textContent = _("Search Results");
    const words = groups.map((g) => g.word);
    for (const r of results) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = siteRoot + r.url + "?highlight=" + encodeURIComponent(words.join(" "));
      a.textContent = r.title;
      li.appendChild(a);
      list.appendChild(li);
    }
    status.textContent = results.length
      ? _("Search finished, found ${resultCount} page(s) matching the search query.")
        .replace("${resultCount}", results.length)
      : _("Your search did not match any documents. Please make sure that all words are spelled correctly and that you've selected enough categories.");
    // snippets for the first results, one page at a time
    for (const [i, r] of results.slice(0, 10).entries()) {
      if (mine !== generation) return;
      try {
        const terms = groups.flatMap((g) => [...g.alts.keys()]).filter((t) => TS.docsOf(t).has(r.doc));
        const text = await snippet(r.url, terms, words);
        if (!text || mine !== generation) continue;
        const p = document.createElement("p");
        p.className = "context";
        p.textContent = text;
        list.children[i].appendChild(p);
      } catch (err) { /* no snippet: the title link stays */ }
    }
  };

  // bench.py and older scripts time Sphinx's synchronous API: keep it working on the
  // search page (hasIndex loads every shard first, which a reader never does)
  if (typeof window.Search === "undefined" || window.Search.talkbookStub) {
    let all = null;
    window.Search = {
      hasIndex: () => {
        if (!all) all = ready().then(() => Promise.all(
          Array.from({ length: meta.n }, (_x, i) => loadScript("s" + i + ".js"))));
        return !!meta && Object.keys(shards).length === meta.n;
      },
      _parseQuery: (q) => [q],
      _performSearch: (q) => rank(queryWords(q).flatMap(analyseWord), q),
      performSearch: (q) => TS.render(q),
    };
  }
  TS.run = () => {
    const params = new URLSearchParams(window.location.search);
    const q = params.get("q");
    const input = document.querySelector('form.bd-search input[name="q"], input[name="q"]');
    if (q) {
      if (input) input.value = q;
      TS.render(q);
    }
    // every search box of the page (the theme has more than one)
    document.querySelectorAll('input[name="q"]').forEach((box) => {
      if (box.dataset.talkbookPrefetch) return;
      box.dataset.talkbookPrefetch = "1";
      // a failed fetch is retried by the search itself
      const warm = () => TS.prefetch(box.value).catch(() => {});
      box.addEventListener("input", warm);
      if (box.value && box.value !== q) warm(); // typed before the engine arrived
    });
  };
  if (TS.autorun !== false) {
    // from the cache the engine may run before the page's body is parsed
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", TS.run);
    else TS.run();
  }
})();
