"""Browser side of the Korean search language (goes into ``language_data.js``).

``Stemmer.stemWord`` runs on every query word (after ``splitQuery``):

* a word without Hangul goes through Sphinx's JS porter stemmer, exactly as with
  the English search language (the index side uses snowball ``porter``);
* a Latin word with particles attached (``k8s를``, ``HBase에서``) loses the Hangul
  particles and is then porter-stemmed, like the index side does;
* a Hangul word is reduced by stripping particles / endings, **guided by the index**:
  candidates are generated longest strip first (``쿠버네티스에서는`` ->
  ``쿠버네티스``; ``줄이는`` -> ``줄이다``; ``최적화하는`` -> ``최적화``) and the first
  candidate that is a term of the loaded search index wins.  If the word itself
  is a term, a candidate only replaces it when every page holding the word also
  holds the candidate (true for ``쿠버네티스를`` -> ``쿠버네티스``, false for a word
  that merely ends in a particle-like syllable, such as ``마이크로``).

The index is ``TalkbookSearch.docsOf`` (talkbook-search.js, which loads the shards a
word needs before stemming it) or, without the talkbook engine, Sphinx's ``Search._index``;
without either the stemmer leaves Hangul words as they are.
"""

from __future__ import annotations

from sphinx.search.en import js_porter_stemmer

#: Particles and particle sequences (longest first is computed in JS).
PARTICLES = """
이 가 을 를 은 는 의 에 에서 에게 께 께서 한테 로 으로 와 과 도 만 까지 부터 보다 처럼 같이
마다 이나 나 이나마 이라도 라도 든지 이든지 랑 이랑 하고 조차 마저 밖에 뿐 이며 며 이고 고
에서는 에서도 에서의 에서만 에서부터 에는 에도 에의 에만 에게는 에게도 으로는 로는 으로도 로도
으로서 로서 으로써 로써 으로의 로의 와는 과는 와의 과의 와도 과도 까지는 까지도 부터는 만의 만은
만을 만이 이란 란 이라는 라는 이라고 라고 이라면 라면 이다 다 입니다 이에요 예요 이죠 죠 인 이었다
였다 이지만 지만 이라서 라서 들 들이 들을 들은 들의 들에 들에서 들로 들과 들도 들은
""".split()

#: Verb / adjective endings: the stem + 다 is tried as a lemma.
VERB_ENDINGS = """
다 는다 ㄴ다 었다 았다 었고 았고 었던 았던 었으며 았으며 었는데 았는데
는 은 고 며 면 서 어서 아서 어 아 기 게 지 던 도록 려고 려면 으려면 으면
니다 습니다 ㅂ니다 는데 지만 었지만 았지만 을 ㄹ ㄴ
""".split()

#: Endings after a Sino-Korean noun (구현+하다, 서빙+되다): the noun itself is tried.
HADA_ENDINGS = """
하다 한다 했다 하는 한 할 하기 하고 하며 하면 해서 하여 해 했고 했던 합니다 했습니다 하려면 하려고
하도록 하지 하게 하자 되다 된다 됐다 되었다 되는 된 될 되어 돼 되고 되며 되면 되기 됩니다 시키다
시키는 시킨 시켜 시켰다 적 적인 적으로 스럽다 스러운
""".split()

_KOREAN_JS = r"""
/**
 * Korean-aware stemmer (talkbook.search).  Latin words: Sphinx's porter stemmer.
 * Hangul words: strip particles/endings, guided by the loaded search index.
 */
var Stemmer = function() {
  const porter = new PorterStemmer();
  const HANGUL = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/;
  const LATIN_THEN_HANGUL = /^([0-9a-z_]*[a-z][0-9a-z_]*)([\uAC00-\uD7A3]+)$/;
  const byLength = (a, b) => b.length - a.length;
  const PARTICLES = %(particles)s.sort(byLength);
  const VERB_ENDINGS = %(verb_endings)s.sort(byLength);
  const HADA_ENDINGS = %(hada_endings)s.sort(byLength);
  const PARTICLE_SET = new Set(PARTICLES);
  const has = (obj, key) => !!obj && Object.prototype.hasOwnProperty.call(obj, key);

  // pages (as a Set of file indexes) that hold `term` in the body or a title
  const docsOf = (term) => {
    // the talkbook search engine (talkbook-search.js) loads its index in shards
    if (typeof TalkbookSearch !== "undefined" && TalkbookSearch.docsOf)
      return TalkbookSearch.docsOf(term);
    const index = (typeof Search !== "undefined") ? Search._index : null;
    const docs = new Set();
    if (!index) return docs;
    for (const table of [index.terms, index.titleterms]) {
      if (!has(table, term)) continue;
      const files = table[term];
      if (typeof files === "number") docs.add(files);
      else files.forEach((f) => docs.add(f));
    }
    return docs;
  };

  // Hangul syllable arithmetic for endings that live inside the last syllable
  const JONG = {"ㄴ": 4, "ㄹ": 8, "ㅂ": 17};
  const splitJong = (syllable) => {
    const code = syllable.charCodeAt(0) - 0xAC00;
    if (code < 0 || code > 11171) return null;
    return [String.fromCharCode(0xAC00 + code - (code %% 28)), code %% 28];
  };

  // does `word` end with `ending`?  returns the part before it, or null
  const cut = (word, ending) => {
    if (ending.length === 1 && JONG[ending] !== undefined) {
      const last = splitJong(word.slice(-1));
      if (!last || last[1] !== JONG[ending] || word.length < 2) return null;
      return word.slice(0, -1) + last[0];
    }
    if (word.length <= ending.length || !word.endsWith(ending)) return null;
    return word.slice(0, -ending.length);
  };

  // candidates, most stripped first within each family
  const candidates = (word) => {
    const out = [];
    PARTICLES.forEach((p) => { const b = cut(word, p); if (b) out.push(b); });
    HADA_ENDINGS.forEach((e) => { const b = cut(word, e); if (b) out.push(b); });
    VERB_ENDINGS.forEach((e) => {
      const b = cut(word, e);
      if (!b) return;
      out.push(b + "다");
      // contracted past tense: 줄였다 -> 줄이+었다, 했다 -> 하+였다
      if (e.startsWith("었") || e.startsWith("았")) {
        const last = splitJong(b.slice(-1));
        if (b.endsWith("였")) out.push(b.slice(0, -1) + "이다");
        if (b.endsWith("했")) out.push(b.slice(0, -1) + "하다");
        if (last && last[1] === 20) out.push(b.slice(0, -1) + last[0] + "다");
      }
    });
    // 였다/했다 glued into one syllable before 다
    [["였다", "이다"], ["였고", "이다"], ["했다", "하다"], ["됐다", "되다"], ["웠다", "우다"]]
      .forEach(([e, r]) => { const b = cut(word, e); if (b) out.push(b + r); });
    return out;
  };

  // the engine also tries these forms against its variant table and for typos
  window.talkbookKoreanCandidates = candidates;

  const stemHangul = (word) => {
    const own = docsOf(word);
    for (const cand of candidates(word)) {
      const docs = docsOf(cand);
      if (!docs.size) continue;
      if (!own.size) return cand;
      // the word is a term itself: only reduce it when the candidate covers it
      if ([...own].every((d) => docs.has(d))) return cand;
    }
    return word;
  };

  // a run of particles (e.g. 에서는) glued to a Latin word
  const isParticles = (s) => {
    if (PARTICLE_SET.has(s)) return true;
    for (let i = 1; i < s.length; i++)
      if (PARTICLE_SET.has(s.slice(0, i)) && isParticles(s.slice(i))) return true;
    return false;
  };

  this.stemWord = function(w) {
    if (!HANGUL.test(w)) return porter.stemWord(w);
    const m = w.match(LATIN_THEN_HANGUL);
    if (m && isParticles(m[2])) return porter.stemWord(m[1]);
    return stemHangul(w);
  };
}
"""


def js_korean_stemmer() -> str:
    """The JS stemmer code: Sphinx's porter stemmer renamed + the Korean stemmer."""
    import json

    porter = js_porter_stemmer.replace("var Stemmer = function()", "var PorterStemmer = function()")
    assert "var PorterStemmer" in porter
    korean = _KOREAN_JS % {
        "particles": json.dumps(PARTICLES, ensure_ascii=False),
        "verb_endings": json.dumps(VERB_ENDINGS, ensure_ascii=False),
        "hada_endings": json.dumps(HADA_ENDINGS, ensure_ascii=False),
    }
    return porter + korean
