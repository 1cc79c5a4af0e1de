"""Which kind of request is this, and which symbol is it about?

Intents (:data:`mycoder_lsp.vocabulary.INTENTS`): ``general | modify-target | review | fix |
explain``. Three paths,
recorded in :attr:`RouteDecision.via`:

- ``rules``: the deterministic fast path was sure (clear keywords, one intent
  far ahead of the others). No model is woken; it takes microseconds.
- ``organizer``: the request was ambiguous and the organizer brain scored the
  five intents as a constrained choice (:meth:`Brain.choose`: the
  probability of each label, from few-shot examples of the labelled set's dev
  part). Its choice stands when it is at least ``brains.organizer_min_confidence``
  sure and surer than the rules; otherwise the rules' guess does.
- ``fallback``: the request needed the organizer but it could not be asked
  (offline, none configured, down) or answered nonsense; the rule-based best
  guess stands.

A target is a symbol the text names (``parse_config``, ``Config.load``,
```` `render` ````, ``render()``) that exists in the given symbols (the
document's and the workspace's); a name nobody defines is not a target.

The organizer only chooses the intent; the target is always the rules' (a
name the text spells that the workspace defines).

This module must not import pygls nor build HTTP requests itself: the
organizer is any object with ``async choose(messages, labels) -> Choice |
None`` (a :class:`mycoder_lsp.brains.backends.Brain`).
"""

from __future__ import annotations

import bisect
import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from mycoder_lsp.code.symbol_index import short_order
from mycoder_lsp.config import BrainsSettings, Settings
from mycoder_lsp.regex_cache import PatternCache
from mycoder_lsp.vocabulary import INTENTS

if TYPE_CHECKING:
    from mycoder_lsp.brains.wire.base import Choice
    from mycoder_lsp.code.symbols import Symbol

log = logging.getLogger(__name__)

# The organizer's words for the intents: each begins with its own token, so
# the first token's log-probabilities score all five in one call.
ORGANIZER_LABELS: dict[str, str] = {"general": "general", "modify": "modify-target", "review": "review",
                                    "fix": "fix", "explain": "explain"}
# The gate's default (``brains.organizer_min_confidence``), chosen on the dev
# part with bench/bench_organizer.py: the lowest at which neither model
# overrode a right guess of the rules there, in repeated runs (the scores
# move by a few hundredths between runs as llama-server's prompt cache does).
ORGANIZER_MIN_CONFIDENCE: float = BrainsSettings.organizer_min_confidence
# A server that sends no log-probabilities (Ollama before 0.12.11) gives an
# answer the gate cannot judge: it replaces only a guess the rules made
# without any cue (their confidence is then below this), never one they had
# a reason for.
UNSCORED_CONFIDENCE = 0.5


@dataclass(frozen=True)
class RouteDecision:
    intent: str
    target: str | None
    via: str  # rules | organizer | fallback
    confidence: float
    ms: float

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 3)
        data["ms"] = round(self.ms, 3)
        return data


class Organizer(Protocol):
    async def choose(self, messages: list[dict[str, str]], labels: Sequence[str]) -> Choice | None: ...


# ------------------------------------------------------------------ the rules
#
# Each intent has cue patterns with weights. A strong cue (the imperative verb
# of the intent, an error name) weighs 3, a supporting cue 1-2. The fast path
# is sure when the best intent reaches SURE_SCORE and leads the runner-up by
# SURE_MARGIN; everything else is ambiguous. Weights follow what each phrase
# means in English, not the labelled set: the held-out part checks that.

_W = re.IGNORECASE
# The rules' ~90 patterns, compiled from the user's cache when it has them
# (18 ms of every `route` otherwise); closed at the end of the module.
_RX = PatternCache("router")


def _cues(*pairs: tuple[str, float]) -> list[tuple[re.Pattern[str], float]]:
    return [(_RX.compile(p, _W), w) for p, w in pairs]


_CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "explain": _cues(
        (r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:explain|describe|summari[sz]e|walk\s+me\s+through"
         r"|clarify)\b", 4),
        (r"\bexplain(?:s|ed|ing)?\b|\bexplanation\b", 3),
        (r"\bwhat\s+(?:does|do|is)\s+(?:this|that|the|it|`?[A-Za-z_][\w.]*`?(?:\(\))?)\s*.*\b(?:do|doing|does|for|mean"
         r"|return|returns|compute|computes)\b", 3),
        (r"\bhow\s+does\s+(?:this|that|the|it|`?[A-Za-z_][\w.]*`?)\b.*\bwork", 3),
        (r"\bhow\s+(?:does|do)\b", 1),
        (r"\bwhat\s+(?:does|did)\b", 2),
        (r"\b(?:confused|confusing|unclear|puzzled|don'?t\s+(?:get|understand)|makes?\s+no\s+sense\s+to\s+me)\b", 3),
        (r"\bwhy\s+(?:does|do|is|are|did)\b(?!.*\b(?:fail|fails|crash|crashes|throw|throws|raise|raises|error|break"
         r"|breaks|wrong|hang|hangs|broken|not|negative|none|null|nan|empty)\b)", 2),
        (r"\bwhat(?:'s|\s+is)\s+(?:the\s+)?(?:purpose|point|role|meaning|intent)\b", 3),
        (r"\b(?:help\s+me\s+)?understand\b", 2),
        (r"\btell\s+me\s+(?:what|how)\b", 2),
        (r"\bin\s+plain\s+(?:english|words)\b|\bstep\s+by\s+step\b|\bline\s+by\s+line\b", 2),
        (r"\bwhat\s+happens\s+(?:when|if|in)\b", 2),
        (r"\bwhat\s+(?:is|are)\s+\w+\s+(?:used|needed)\s+for\b", 2),
        (r"\bdocument(?:ation)?\s+for\s+me\b", 1),
        (r"\bwhat(?:'s|\s+is)\s+going\s+on\b|\bhow\s+come\b|\bbreak\s+(?:\w+\s+)?down\b|\b(?:logic|idea|reason|thinking"
         r"|rationale)\s+behind\b|\beli5\b|\bwhat\s+am\s+i\s+looking\s+at\b", 3),
        (r"\bwhere\s+does\b|\bwhat\s+would\b.*\bdo\b|\bhow\s+is\s+(?:\S+\s+){1,4}(?:built|calculated|computed|derived"
         r"|handled|used|chosen|stored|made)\b|\bgives?\s+back\b", 3),
        (r"\b(?:is|does)\s+\S+\s+(?:returning|doing|using|calling|mutating|modifying)\b", 2),
        (r"\b(?:summary|overview|rundown|tour)\s+of\b|\bi'?m\s+lost\b"
         r"|\bwhat(?:'s|\s+is)\s+(?:the\s+)?\S+(?:\s+\S+)?\s+for\b", 3),
        # Where the code is used is a question about it: "where is X used",
        # "who calls X", "the callers of X".
        (r"\bwhere\s+(?:is|are|do\s+(?:we|i|you)|does\s+\S+|else)\s+(?:\S+\s+){0,3}?(?:used|called|referenced"
         r"|imported|invoked|call(?:ed)?|use[sd]?)\b|\b(?:who|what)\s+(?:else\s+)?(?:calls|uses|imports|references)\b"
         r"|\b(?:callers|call\s+sites|usages?|uses|references)\s+(?:of|to)\b"
         r"|\bwhich\s+(?:\w+\s+)?(?:functions|methods|modules|files|classes|code|parts)\s+(?:call|use|import)\b", 4),
    ),
    "review": _cues(
        (r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:review|audit|critique|assess|evaluate|inspect)\b", 4),
        (r"\breview(?:s|ed|ing)?\b|\bcode\s+review\b|\baudit(?:s|ed|ing)?\b|\bcritique\b", 3),
        (r"\b(?:any|see|spot|find|list|are\s+there|potential|possible)\s+(?:\w+\s+)?(?:issues|problems|bugs|mistakes"
         r"|flaws|smells|risks|vulnerabilit\w+|edge\s+cases|pitfalls|weaknesses)\b", 3),
        (r"\bcode\s+smells?\b|\bbad\s+practices?\b|\bbest\s+practices?\b|\banti-?patterns?\b", 2),
        (r"\b(?:is|does|are)\s+(?:(?:this|that|these|it|the|my)(?:\s+\w+){0,2}"
         r"|`?[A-Za-z_][\w.]*`?(?:\s+\w+)?)\s+(?:look\s+)?(?:ok|okay|fine|correct|right|good|safe|secure|idiomatic"
         r"|thread[-\s]?safe|reasonable|sound|robust|efficient|sensible|sane)\b", 3),
        (r"\bwhat'?s\s+wrong\s+with\b|\bwhat\s+is\s+wrong\s+with\b", 2),
        (r"\blook\s+(?:over|at|through)\b.*\b(?:for|and\s+tell)\b", 2),
        (r"\bfeedback\b|\bsecond\s+opinion\b|\bsanity[-\s]check\b|\bdouble[-\s]check\b", 3),
        (r"\bsecurity\s+(?:issues|problems|holes|review|audit)\b|\bvulnerab\w+\b", 2),
        (r"\bwhat\s+(?:could|would|can)\s+(?:go\s+wrong|be\s+improved|I\s+improve)\b"
         r"|\bhow\s+(?:can|could)\s+I\s+improve\b", 3),
        (r"\bpoint\s+out\b|\bflag\b|\bcheck\s+(?:this|the|it|that|`?[A-Za-z_][\w.]*`?)\s+for\b", 2),
        (r"\bany\s+suggestions\b|\bsuggest\s+improvements\b|\bwhat\s+do\s+you\s+think\b|\brate\b", 2),
        (r"\bwithout\s+changing\b|\bdon'?t\s+change\b|\bjust\s+tell\s+me\b", 1),
        (r"\bthoughts\s+on\b|\bred\s+flags?\b|\blooks?\s+off\b|\bquick\s+look\b|\bonce-?over\b"
         r"|\bweak(?:\s+spots?|\s+points?|nesses)\b|\bnitpick\w*\b|\b(?:honest\s+)?opinion\s+on\b"
         r"|\bproduction[-\s]ready\b|\bapprove\b"
         r"|\bhow\s+bad\s+is\b|\bbe\s+brutal\b|\banything\s+(?:wrong|off|missing|dodgy|sketchy|fishy|suspicious)\b"
         r"|\b(?:dodgy|sketchy|fishy)\b", 3),
        (r"\bcheck\s+(?:whether|if)\b|\bverify\s+(?:that|whether|if)\b", 2),
        (r"\b(?:concerns?|worried|worry|regret|good\s+enough|risky|would\s+you\s+(?:merge|approve|ship|accept)"
         r"|what\s+would\s+you\s+(?:change|improve|do\s+differently))\b", 3),
        (r"\b(?:are\s+there|potential|possible|any)\s+(?:\w+\s+)?(?:race\s+conditions?|deadlocks?|leaks?|injection"
         r"|performance\s+(?:problems|issues))\b", 3),
    ),
    "fix": _cues(
        (r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:fix|repair|debug|resolve|patch|correct)\b", 4),
        (r"\bfix(?:es|ed|ing)?\b|\bbug(?:s|gy)?\b|\bdebug\b", 3),
        (r"\b\w*(?:Error|Exception)\b|\btraceback\b|\bstack\s*trace\b|\bsegfault\b|\bpanic(?:s|ked)?\b"
         r"|\bundefined\s+is\s+not\b|\bnil\s+pointer\b|\bnull\s+pointer\b", 3),
        (r"\b(?:crash|crashes|crashing|crashed|fails?|failing|failed|failure|broken|breaks|hangs?|hanging|deadlocks?"
         r"|leaks?)\b", 2),
        (r"\b(?:does\s*n[o']t|doesnt|do\s*n[o']t|is\s*n[o']t|isnt|won'?t|can'?t|cannot|never)\s+(?:work|compile|run"
         r"|return|stop|terminate|handle|parse|build|pass|load|save|match)\b|\bnot\s+working\b", 3),
        (r"\bwrong\s+(?:result|output|value|answer|order|type)s?\b|\boff[-\s]by[-\s]one\b|\binfinite\s+loop\b"
         r"|\brace\s+condition\b", 3),
        (r"\bthe\s+wrong\b|\bincorrect(?:ly)?\b|\btoo\s+(?:early|late|many|few)\b|\bone\s+(?:\w+\s+)?too\s+(?:early"
         r"|late|many|few)\b", 2),
        (r"\b(?:returns?|returning|gives?|giving|produces?|yields?)\s+(?:a\s+|an\s+)?(?:None|null|nil|undefined|NaN"
         r"|empty|negative|zero|nothing|garbage|duplicates?)\b", 2),
        (r"\b(?:error|errors|warning|warnings|diagnostic|diagnostics|lint|typo)\b(?!\s+handling)", 1),
        (r"\bmake\s+(?:the\s+)?(?:tests?|ci|build)\s+pass\b|\b(?:tests?|ci|build)\s+(?:is\s+|are\s+)?(?:red"
         r"|failing)\b", 3),
        (r"\bsilence\b|\bget\s+rid\s+of\s+the\s+(?:error|warning)\b|\bshould\s+(?:not|n't)\b"
         r"|\binstead\s+of\s+(?:raising|crashing|returning\s+None)\b", 1),
        (r"\bwhy\s+(?:does|do|is|did)\b.*\b(?:fail|crash|throw|raise|error|break|wrong|hang|broken)\w*\b", 2),
        (r"\b(?:shouldn'?t|should\s+not|that'?s\s+not\s+right|not\s+right|something(?:'s|\s+is)\s+(?:wrong|off)"
         r"|is\s+wrong|are\s+wrong|doesn'?t\s+seem\s+right)\b", 3),
        (r"\b(?:explodes?|blows?\s+up|loses|drops|ignores|mangles|swallows|corrupts|skips|misses|exits\s+(?:0|with))\b"
         r"|\bhalf-?open\b|\bnever\s+\w+s\b", 2),
        # "<symbol> returns / is / raises ...": a report of what the code
        # does, which is how people describe bugs (the name is masked as X).
        (r"^\s*(?:the\s+)?X(?:\s+\w+)?\s+(?:is|are|was|isn'?t|doesn'?t|does|returns|gives|raises|throws|keeps|gets"
         r"|sends|writes|reads|has|calls|puts|adds|double-\w+|[a-z]+es|[a-z]+[^s\s]s)\b(?!\s+(?:a|an|the)\s+(?:method"
         r"|function|class)\b)", 2),
    ),
    "modify-target": _cues(
        (r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+|now\s+|also\s+)?(?:add|rename|refactor|rewrite|change|convert"
         r"|make|extract|inline|optimi[sz]e|speed\s+up|simplify|split|merge|move|replace|remove|delete|drop|update"
         r"|modify|use|turn|port|migrate|reorder|sort|cache|memoi[sz]e|parallelize|vectori[sz]e|annotate|type|paginate"
         r"|wrap|clean\s+up|tidy|reformat|format|translate|allow|support|let|have|return|accept|handle|log|validate"
         r"|raise|implement)\b", 3),
        (r"\b(?:add|adding)\s+(?:a\s+|an\s+|the\s+)?(?:docstring|type\s+hints?|types|annotations?|logging|comments?"
         r"|a?\s*parameter|an?\s+argument|retries|retry|caching|a\s+cache|timeout|tests?|validation|error\s+handling"
         r"|support)\b", 3),
        (r"\b(?:refactor|rename|rewrite|optimi[sz]e|simplify|extract|inline|convert|modernize|parametri[sz]e)\b", 3),
        (r"\b(?:to|into)\s+(?:use|an?\s+async|async|a\s+generator|a\s+dataclass|a\s+class|a\s+list\s+comprehension"
         r"|f-strings?|pathlib)\b", 2),
        (r"\b(?:more\s+(?:readable|efficient|pythonic|idiomatic|robust|generic)|faster|cleaner|shorter)\b", 2),
        (r"\binstead\s+of\b|\brather\s+than\b", 1),
        (r"\bso\s+(?:that\s+)?it\b", 1),
        (r"\b(?:i\s+want|i'?d\s+(?:like|prefer|rather)|we\s+(?:need|want)|i\s+need"
         r"|it\s+would\s+be\s+nice\s+if)\b(?:\s+\S+){0,3}\s+to\b", 3),
        (r"\b(?:should|could|can|would)\s+(?:\S+\s+){0,2}(?:take|accept|return|support|write|raise|use|log|have|keep"
         r"|be\s+able|run|handle|allow|emit|send|skip)\b", 2),
        (r"^\s*(?:please\s+)?(?:swap|switch|get\s+rid\s+of|bump|expose|rework|restructure|reorganize|generalize|harden"
         r"|adapt|tweak|drop)\b", 3),
        (r"\b(?:add|adding|write|writing|give)\s+(?:\w+\s+){0,2}(?:docstrings?|type\s+hints?|annotations?|comments?"
         r"|logging|a\s+\w+\s+(?:argument|parameter|flag|option)|(?:an?\s+)?\w*\s*(?:argument|parameter|flag"
         r"|option))\b", 3),
        (r"\bcan\s+(?:this|it|that)\s+be\s+(?:shorter|simpler|faster|cleaner|more\s+\w+)\b", 3),
        (r"\bneeds\s+(?:a|an|to|support|another|more)\b", 3),
    ),
    "general": _cues(
        (r"^\s*(?:how\s+(?:do|can|should)\s+(?:i|you|we)|what(?:'s|\s+is|\s+are)\s+(?:the\s+)?(?:difference|best\s+way"
         r"|a\s+good\s+way|an?\b)|when\s+should|which\s+(?:is|library|package|one))\b", 3),
        (r"^\s*(?:write|create|generate|scaffold|build|make)\s+(?:me\s+)?(?:a|an|some"
         r"|the)\s+(?:new\s+)?(?:\w+\s+){0,3}(?:script|function|class|module|program|cli|test\s+suite|dockerfile"
         r"|makefile|regex|query|endpoint|server|example|snippet|tool|config)\b", 4),
        (r"\bin\s+(?:python|rust|go|golang|javascript|typescript|js|ts)\b(?!.*\b(?:this|the\s+file)\b)", 1),
        (r"\b(?:hello|hi|hey|thanks|thank\s+you)\b", 2),
        (r"\bwhat\s+(?:is|are)\s+(?:a|an)\s+\w+", 2),
        (r"\b(?:concept|general(?:ly)?|in\s+general|tutorial|example\s+of|pros\s+and\s+cons|compare|comparison|vs\.?"
         r"|versus)\b", 2),
        (r"\b(?:from\s+scratch|new\s+file|boilerplate)\b", 2),
        (r"\bhow\s+do\s+(?:people|folks|teams|you\s+usually)\b|\btips\s+(?:for|on)\b|\brecommend\b|\b(?:better|faster"
         r"|slower|safer)\s+than\b", 3),
        (r"\b(?:python|asyncio|rust|go|javascript|typescript|node|django|flask|numpy|pandas|react|pytest)'s\b", 2),
        (r"\b(?:i\s+need|i\s+want|write\s+me|can\s+you\s+write|could\s+you\s+write|give\s+me)\s+(?:a|an"
         r"|some)\s+(?:\w+\s+){0,3}(?:function|script|class|program|module|tool|dockerfile|regex|cli|app)\b", 4),
        (r"^\s*(?:good\s+)?(?:morning|evening|afternoon)\b", 2),
        (r"\b(?:books?|resources|courses?|tutorials?)\b|\b(?:design\s+)?pattern\b", 2),
    ),
}

SURE_SCORE = 2.0
SURE_MARGIN = 2.0

# A request about existing code points at it.
_DEICTIC = _RX.compile(
    r"\b(?:this|that|these|those|the\s+selected|selection|highlighted|here|above|below|current|my)\b"
    r"(?:\s+(?:code|function|method|class|file|module|snippet|block|line|loop|test|struct|impl|handler|component|query"
    r"|regex|script))?",
    _W,
)

# ------------------------------------------------------------- target names

_BACKTICK = _RX.compile(r"`([^`\n]{1,120})`")
_IDENT = _RX.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*(?:(?:\.|::)[A-Za-z_][A-Za-z0-9_]*)*)(\(\))?")
_KIND_WORDS = (
    r"(?:function|func|fn|method|class|struct|def|type|interface|trait|enum|constructor|component|handler|helper"
    r"|impl)"
)
_NEAR_KIND = _RX.compile(
    rf"\b{_KIND_WORDS}\s+`?([A-Za-z_][\w.:]*)`?|`?([A-Za-z_][\w.:]*)`?\s+{_KIND_WORDS}\b",
    _W,
)

# Plain English words that are also common function names: only a target
# when the text marks them as code (backticks, (), a kind word next to them).
_ENGLISH = frozenset(
    """a an the this that it is are be to of in on for and or not with from by as at into
    add get set run main test tests load save read write open close start stop init update delete
    remove parse format print show list map filter sort find search check validate handle process
    build make render send call execute apply reset clear copy move merge split join log debug
    error warn info config data value values item items key keys name names result results
    create new old file files path line lines text string number count size type types help
    do does what how why when where which who can could should would will may might please fix
    review explain refactor rename modify change use code function method class value me my you
    your we our here there all any some only also just now then else if return returns""".split()
)


class IntentRouter:
    """Routes requests; one per server or CLI run (it keeps no per-request
    state, so one instance serves concurrent requests)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    # ---------------------------------------------------------------- public

    def route_fast(self, text: str, symbols: Iterable[Symbol | str] = ()) -> RouteDecision | None:
        """The decision when the rules are sure, else None. Never calls a model."""
        decision = self.guess(text, symbols)
        return decision if decision.via == "rules" else None

    def guess(self, text: str, symbols: Iterable[Symbol | str] = ()) -> RouteDecision:
        """The rule-based best guess, sure or not (``via="rules"`` when sure,
        ``"fallback"`` otherwise)."""
        t0 = time.perf_counter()
        target, spelled = self._find_target(text, symbols)
        intent, confidence, sure = self._score(text, spelled)
        intent = _settle(intent, target, text)
        via = "rules" if sure else "fallback"
        return RouteDecision(intent, target, via, confidence, (time.perf_counter() - t0) * 1000)

    async def route(
        self,
        text: str,
        *,
        symbols: Iterable[Symbol | str] = (),
        organizer: Organizer | None = None,
        offline: bool = False,
    ) -> RouteDecision:
        """Fast path first; the organizer only for the ambiguous rest; the
        best guess when it cannot help. Never raises for a model fault."""
        t0 = time.perf_counter()
        symbols = SymbolIndex.of(symbols)
        best = self.guess(text, symbols)
        if best.via == "rules" or offline or organizer is None:
            return _timed(best, t0)
        try:
            choice = await organizer.choose(organizer_messages(text), tuple(ORGANIZER_LABELS))
        except Exception as exc:  # noqa: BLE001 - BrainError, timeouts, anything: the guess stands
            log.debug("organizer unavailable, keeping the rule-based guess: %s", exc)
            return _timed(best, t0)
        if choice is None:
            log.debug("organizer named no intent, keeping the rule-based guess")
            return _timed(best, t0)
        intent, confidence = self.gate(best, choice)
        log.debug("organizer %s: %s (rules: %s %.2f)", "scored" if choice.scored else "answered",
                  {k: round(v, 3) for k, v in choice.probabilities.items()}, best.intent, best.confidence)
        intent = _settle(intent, best.target, text)
        return RouteDecision(intent, best.target, "organizer", confidence, (time.perf_counter() - t0) * 1000)

    def gate(self, best: RouteDecision, choice: Choice) -> tuple[str, float]:
        """The intent and its confidence once the organizer has answered: its
        choice when it is sure enough and surer than the rules, else theirs."""
        label, probability = choice.best
        intent = ORGANIZER_LABELS[label]
        sure = probability if choice.scored else UNSCORED_CONFIDENCE
        if intent == best.intent:
            return intent, max(sure, best.confidence)
        if sure > best.confidence and (not choice.scored or sure >= self._min_confidence()):
            return intent, sure
        return best.intent, best.confidence

    def target_of(self, text: str, symbols: Iterable[Symbol | str]) -> str | None:
        """The known symbol the text names, as its qualified name; None when
        it names none (or only names nobody defines)."""
        return self._find_target(text, symbols)[0]

    def _find_target(self, text: str, symbols: Iterable[Symbol | str]) -> tuple[str | None, str | None]:
        """``(qualified name, the name as the text spells it)``."""
        index = SymbolIndex.of(symbols)
        if not index:
            return None, None
        strong: list[str] = []
        weak: list[tuple[str, int]] = []
        for m in _BACKTICK.finditer(text):
            inner = m.group(1).strip().rstrip("()").strip()
            inner = re.sub(r"^(?:def|fn|func|function|class|struct)\s+", "", inner)
            inner = re.split(r"[\s(]", inner, maxsplit=1)[0] if inner else inner
            strong.append(inner)
        for m in _NEAR_KIND.finditer(text):
            strong.append(m.group(1) or m.group(2))
        for m in _IDENT.finditer(text):
            name, call = m.group(1), m.group(2)
            if call or "." in name or "::" in name or "_" in name or _is_camel(name):
                strong.append(name)
            else:
                weak.append((name, m.start()))
        for name in strong:
            hit = index.resolve(name)
            if hit:
                return hit, name
        for name, pos in weak:
            # A plain English word ("get", "main", "load") names a symbol
            # only where English would not put it: right after a preposition
            # or a verb of ours ("in main", "refactor main"), at the end of a
            # traceback line ("in get"), or as the subject of what the code
            # does ("load crashes", "why does load ignore", "make retry wait").
            # An article after it makes it the English verb ("to load a file").
            if name.lower() in _ENGLISH and not _names_code(text[:pos], text[pos + len(name):]):
                continue
            hit = index.resolve(name)
            if hit:
                return hit, name
        return None, None

    # -------------------------------------------------------------- private

    def _min_confidence(self) -> float:
        if self.settings is None:
            return ORGANIZER_MIN_CONFIDENCE
        return self.settings.brains.organizer_min_confidence

    def _score(self, text: str, spelled: str | None = None) -> tuple[str, float, bool]:
        if spelled:
            # The target's name is not a cue: `memoize` is a symbol here,
            # not the verb "memoize".
            text = re.sub(rf"(?<![\w.]){re.escape(spelled)}(?![\w])", "X", text)
        scores = intent_scores(text)
        about_code = bool(spelled) or bool(_DEICTIC.search(text))
        if spelled and scores["general"] > 0:
            # A request naming one of the user's symbols is about their code.
            scores["general"] -= 2
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        (top, s1), (_, s2) = ranked[0], ranked[1]
        if s1 <= 0:
            if about_code:
                # No cue, but about the user's code: a question wants an
                # answer, a statement wants a change. Never sure.
                return ("explain" if _QUESTION.search(text) else "modify-target"), 0.35, False
            return "general", 0.3, False
        sure = s1 >= SURE_SCORE and s1 - s2 >= SURE_MARGIN
        confidence = min(0.99, 0.5 + 0.1 * (s1 - s2) + 0.03 * s1)
        if not sure:
            confidence = min(confidence, 0.6)
        return top, confidence, sure


def intent_scores(text: str) -> dict[str, float]:
    """The cue score of every intent for ``text`` (the rules, exposed for
    the benchmark and tests)."""
    scores: dict[str, float] = {intent: 0.0 for intent in INTENTS}
    body = _BACKTICK.sub(" code ", text)  # names in backticks are not cues
    body = _WORD.sub(lambda m: intended_verb(m.group(0)) or m.group(0), body)
    for intent, cues in _CUES.items():
        for pattern, weight in cues:
            if pattern.search(body):
                scores[intent] += weight
    # A test for X is new code about X, to read and paste where it belongs
    # (general), not a change to X itself, whichever verb asks for it.
    if _TEST_REQUEST.search(body):
        scores["general"] += 5
        scores["modify-target"] = min(scores["modify-target"], 0.0)
    # A request that points at existing code is not a general question.
    if _DEICTIC.search(body) and scores["general"] > 0:
        scores["general"] -= 2
    # "Fix" wins over the generic edit verbs it shares a sentence with
    # ("change X so it does not crash"): the defect is what the user means.
    if scores["fix"] >= 3 and scores["modify-target"] > 0:
        scores["modify-target"] -= 1
    return scores


# Intent verbs as people mistype them ("expain", "reveiw", "refactr",
# "fixx"): a word this close to one of them is read as it. Longer verbs
# allow two edits; a three-letter verb only edits that keep its letters.
_INTENT_VERBS = (
    "explain", "describe", "summarize", "summarise", "clarify", "review", "audit", "critique", "evaluate", "inspect",
    "refactor", "rename", "rewrite", "optimize", "optimise", "simplify", "extract", "convert", "modify",
    "implement", "debug", "repair", "resolve", "fix", "document",
)
# Real words this close to a verb that mean something else.
_NOT_TYPOS = frozenset({"debut", "audio", "covert", "convent", "repaid", "reactor", "revolve", "clarity"})
_INFLECTIONS = frozenset({"s", "es", "ed", "ing", "er", "ers"})
_WORD = _RX.compile(r"(?<![\w.`])[A-Za-z]{3,}(?![\w.(`])")
_TEST_REQUEST = _RX.compile(
    r"\b(?:write|writing|add|adding|create|generate|need|want|give\s+me)\s+(?:me\s+)?(?:a\s+|an\s+|some\s+|more\s+)?"
    r"(?:\w+\s+){0,2}?tests?(?:\s+(?:case|cases|suite))?\s+(?:for|of|that|covering|which|to\s+check)\b",
    _W,
)


def intended_verb(word: str) -> str | None:
    """The intent verb ``word`` misspells, or None (a word spelled right,
    an English word, or nothing close)."""
    lower = word.lower()
    if lower in _INTENT_VERBS or lower in _ENGLISH or lower in _NOT_TYPOS:
        return None
    for verb in _INTENT_VERBS:
        if lower[0] != verb[0] or abs(len(lower) - len(verb)) > 1:
            continue
        stem = verb[:-1] if verb.endswith("e") else verb
        if lower.startswith(stem) and lower[len(stem):] in _INFLECTIONS:
            return None  # "renamed", "reviews", "describing": spelled right
        if len(verb) <= 3 and not set(verb) <= set(lower):
            continue  # "fox", "six": another word, not "fix"
        if _edits(lower, verb) <= (2 if len(verb) >= 8 else 1):
            return verb
    return None


def _edits(a: str, b: str) -> int:
    """Edit distance, a swap of two neighbours counting as one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[-1]


def _settle(intent: str, target: str | None, text: str) -> str:
    """modify-target needs code to modify: a named target or a pointer to
    the code at hand ("this function"); without either it is a request for
    new code, i.e. general."""
    if target is not None or _DEICTIC.search(text):
        return intent
    if intent == "modify-target" and (_GENERAL_NEW.search(text) or _NEW_THING.search(text)):
        return "general"
    # "explain decorators", "what does HTTP 429 mean": a concept, not the
    # user's code.
    if intent == "explain" and _CONCEPT.search(text):
        return "general"
    return intent


_QUESTION = _RX.compile(
    r"\?\s*$|^\s*(?:what|why|how|where|when|which|who|is|are|does|do|did|can|could|would|will|should)\b", _W
)
_NEW_THING = _RX.compile(
    r"\b(?:a|an|some)\s+(?:new\s+)?(?:\w+\s+){0,2}(?:function|script|class|program|module|tool|dockerfile|regex|cli"
    r"|app)\b",
    _W,
)
_GENERAL_NEW = _RX.compile(r"^\s*(?:write|create|generate|scaffold|build)\b", _W)
_CONCEPT = _RX.compile(
    r"\b(?:in|with|for)\s+(?:python|rust|go|golang|javascript|typescript|js|ts|java|c\+\+|sql|bash)\b"
    r"|\bdifference\s+between\b|\bwhat\s+(?:is|are|does)\s+(?:a|an)\b|\b(?:http|https|tcp|dns|sql|api|rest|json|yaml"
    r"|regex|gil)\b"
    r"|\bwhat\s+does\s+[A-Z0-9]{2,}\b|\bwhat\s+does\s+['\"]"
    r"|\b(?:python|asyncio|rust|go|javascript|typescript|node|django|flask|numpy|pandas|react|pytest)'s\b"
    r"|\bhow\s+do\s+(?:people|folks|teams)\b|\bpattern\b",
    _W,
)
_CODE_SLOT = _RX.compile(
    r"(?:\b(?:in|inside|from|of|into|call|calling|calls|to)|\b(?:fix|refactor|explain|review|rewrite|simplify"
    r"|optimi[sz]e|debug|document|test|rename|describe|audit|check|repair))\s+$",
    _W,
)


_SUBJECT_SLOT = _RX.compile(
    r"(?:^|\b(?:the|does|did|do|is|was|why|how|what|where|when|make|makes|let|can|could|should|would|will|and"
    r"|but|if|so|that|whether))\s*$",
    _W,
)
_DOES_SOMETHING = _RX.compile(
    r"\s+(?:is|isn'?t|was|are|does|doesn'?t|did|didn'?t|do|should|shouldn'?t|can'?t|cannot|won'?t|never|always"
    r"|still|keeps?|returns?|raises?|throws?|crash(?:es|ed)?|fails?|hangs?|breaks?|ignores?|drops?|skips?|loses?"
    r"|cuts?|splits?|writes?|reads?|gives?|sends?|calls?|uses?|used|called|works?|handles?|picks?|waits?"
    r"|accepts?|takes?|safe|correct|wrong|slow|broken|buggy)\b",
    _W,
)
_ARTICLE_AFTER = _RX.compile(r"\s+(?:a|an|the|some|my|your|our|their|this|these|those|all|every|each|them)\b", _W)
_RX.close()


def _names_code(before: str, after: str) -> bool:
    """Whether an English word between ``before`` and ``after`` is used as
    a name in code rather than as English."""
    slot = _CODE_SLOT.search(before)
    if slot:
        return not (slot.group(0).strip().lower() == "to" and _ARTICLE_AFTER.match(after))
    return bool(_SUBJECT_SLOT.search(before) and _DOES_SOMETHING.match(after))


def _timed(decision: RouteDecision, t0: float) -> RouteDecision:
    return RouteDecision(
        decision.intent, decision.target, decision.via, decision.confidence, (time.perf_counter() - t0) * 1000
    )


def _is_camel(name: str) -> bool:
    return bool(re.search(r"[a-z][A-Z]", name)) or (
        name[:1].isupper()
        and any(c.islower() for c in name[1:])
        and len(name) > 2
        and name.lower() not in _ENGLISH
    )


class SymbolIndex:
    """Qualified and short names of the known symbols, for resolving what a
    request names. Short names that several symbols share are ambiguous.
    Build it once per workspace (``SymbolIndex.of(names)``, or
    :meth:`from_sorted` with the lists a symbol cache keeps) and pass it as
    ``symbols`` when routing many requests: a list is indexed per call.

    A sorted list and its order by last part, searched by bisection rather
    than a set and a dict: a workspace's 70,000 names come from the cache as
    they are, with nothing rebuilt per run (43 ms of each ``route`` before)."""

    __slots__ = ("order", "quals")

    def __init__(self, quals: list[str], order: Sequence[int]) -> None:
        self.quals = quals  # sorted, unique
        self.order = order  # positions in quals, sorted by (last part, name): short_order

    def __bool__(self) -> bool:
        return bool(self.quals)

    def __iter__(self) -> Iterator[str]:
        return iter(self.quals)

    @classmethod
    def of(cls, symbols: Iterable[Symbol | str]) -> SymbolIndex:
        if isinstance(symbols, SymbolIndex):
            return symbols
        quals = sorted({q for q in (s if isinstance(s, str) else s.qualname for s in symbols) if q})
        return cls(quals, short_order(quals))

    @classmethod
    def from_sorted(cls, quals: list[str], order: Sequence[int]) -> SymbolIndex:
        """From names already sorted and their :func:`~mycoder_lsp.code.symbol_index.short_order`."""
        return cls(quals, order)

    def known(self, qual: str) -> bool:
        at = bisect.bisect_left(self.quals, qual)
        return at < len(self.quals) and self.quals[at] == qual

    def named(self, short: str) -> list[str]:
        """The qualified names whose last part is ``short``."""
        quals = self.quals

        def last(i: int) -> str:
            return quals[i].rsplit(".", 1)[-1]

        at = bisect.bisect_left(self.order, short, key=last)
        found = []
        while at < len(self.order) and last(self.order[at]) == short:
            found.append(quals[self.order[at]])
            at += 1
        return found

    def resolve(self, name: str) -> str | None:
        if not name:
            return None
        name = name.strip().strip("`").rstrip("()").replace("::", ".")
        if self.known(name):
            return name
        if "." in name:
            last = name.rsplit(".", 1)[-1]
            cands = [q for q in self.named(last) if q.endswith("." + name)]
            if len(cands) == 1:
                return cands[0]
            # `self.method` / `obj.method`: the last part may still be unique.
            if name.split(".", 1)[0] in ("self", "this", "cls"):
                quals = self.named(last)
                return quals[0] if len(quals) == 1 else None
            # `Class.attribute`: an attribute is not a symbol, its owner is.
            owner = name.rsplit(".", 1)[0]
            return self.resolve(owner) if "." in name else None
        quals = self.named(name)
        if len(quals) == 1:
            return quals[0]
        return None


ORGANIZER_SYSTEM = (
    "You sort a developer's requests to a coding assistant into five kinds. Answer with the kind's word only.\n"
    "fix: repair a bug, error, crash, failing test or warning in existing code\n"
    "modify: change existing code (add, rename, refactor, optimise, document) without a bug being the reason\n"
    "review: assess existing code and report problems, without changing it\n"
    "explain: explain what existing code does, how, why, or where it is used\n"
    "general: anything else: programming questions, new code or tests written from scratch\n"
    "Requests may have typos."
)

# Few-shot examples, all from the dev part of tests/data/router_labelled.jsonl
# (a test checks it): never from the held-out part, which measures this.
# They come first and never change, so llama-server's prompt cache reuses
# the whole prefix and each request costs only its own few tokens.
ORGANIZER_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("why does retry sleep longer each time?", "explain"),
    ("calculate_tax gives 0.0 for small amounts, it shouldn't", "fix"),
    ("is go better than rust for CLIs", "general"),
    ("thoughts on Database.execute?", "review"),
    ("truncate should accept a custom suffix", "modify"),
    ("who calls _coerce", "explain"),
    ("it blows up on empty input", "fix"),
    ("write a test for slugify", "general"),
    ("am I going to regret how Settings.merge copies dicts?", "review"),
    ("the tokenize function needs to support a custom pattern", "modify"),
    ("hmm what is going on in Settings.validate", "explain"),
    ("memoize breaks with keyword arguments", "fix"),
    ("what is memoization", "general"),
    ("is the Database class thread safe", "review"),
    ("swap OrderedDict for a plain dict in LRUCache", "modify"),
)


def organizer_messages(text: str) -> list[dict[str, str]]:
    """The organizer's prompt: the fixed few-shot prefix, then the request.
    A secret typed into the request does not go along: it tells nothing
    about the intent."""
    messages = [{"role": "system", "content": ORGANIZER_SYSTEM}]
    for example, label in ORGANIZER_EXAMPLES:
        messages += [{"role": "user", "content": f"Request: {example}"}, {"role": "assistant", "content": label}]
    from mycoder_lsp.memory.redaction import redact  # only when the organizer is asked

    messages.append({"role": "user", "content": f"Request: {redact(text.strip())}"})
    return messages


__all__ = [
    "IntentRouter",
    "Organizer",
    "RouteDecision",
    "SymbolIndex",
    "intent_scores",
    "organizer_messages",
]
