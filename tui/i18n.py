"""Every word the app shows, in Chinese and English, and the helpers that put them on screen.

Bindings name their footer text by a key of LABELS (`Binding("f1", "hint", "k_hint")`); `localize_bindings`
writes the words of the current language into a node's own bindings map, so a language switch only has to call
it again (and each screen's `relabel`) instead of recomposing anything.
"""

from __future__ import annotations

from dataclasses import replace

LANGS = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "en": {
        # criteria and scores
        "certainty": "certainty",
        "simplicity": "simplicity",
        "warmth": "warmth",
        "mood": "mood",
        "forbidden": "forbidden",
        "model_answer": "model answer",
        "lost": "points lost",
        "resolved": "resolved",
        "escalated": "escalated",
        "abandoned": "abandoned",
        # who speaks
        "you": "You",
        "customer": "Customer",
        "ended": "Session ended",
        "typing": "Customer is typing…",
        "typing_short": "typing…",
        "typing_slow": "typing… ({s} s: the model is slow today; F3 pauses, Esc saves and leaves)",
        # picker
        "trainee": "Trainee name",
        "search": "Search scenarios (id, title, tag, zh/en)…",
        "f_lang": "Any language",
        "f_level": "Any level",
        "f_tag": "Any tag",
        "lang_zh": "Chinese",
        "lang_zh-Hant": "Chinese (traditional)",
        "lang_en": "English",
        "lang_mixed": "Chinese + English",
        "no_match": "No scenario matches the search and filters (Esc clears the search).",
        "no_scenarios": "No scenarios could be loaded: {msg}",
        "col_id": "id",
        "col_title": "title",
        "col_lang": "lang",
        "col_tags": "tags",
        "best": "best",
        "passed": "passed",
        # brief
        "facts": "Facts",
        "objectives": "Objectives",
        "start": "Start",
        "back": "Back",
        "resume": "Resume (replies kept: {n})",
        # chat
        "reply": "Type your reply: Enter sends, Ctrl+J new line.",
        "turn_timer": "⏱ your turn: {s} s",
        "voice_model": "Voice: {name}",
        "voice_retry": "Voice: {name} (second try)",
        "voice_guard": "Voice: scripted line ({name}'s words failed a check)",
        "voice_down": "Voice: scripted lines ({name} is not answering)",
        "voice_lang": "Voice: scripted lines ({name} does not speak {language})",
        "voice_ending": "Voice: scripted line (endings always are)",
        "voice_note": "voice: {name}",
        "brief_scripted": "The customer's words are scripted: {name} does not speak {language}.",
        "pick_scripted": "Customer voice {name}: scenarios in {langs} use the scripted lines (it does not speak them).",
        "model_down": "The customer model is not answering, so the scripted lines are used and practice goes on. "
        "({why})",
        "hint": "Hint",
        "hint_cost": "Hint (costs {n} points off this session's score; reading it again is free)",
        "no_hint": "No hint for this message.",
        "ended_help": "The session is over. Enter: the summary. F2: every model answer.",
        "overall": "score {n}",
        "hints_cost": " after {k} hint(s), -{n}",
        "model_after": "The model answer opens after the session ends.",
        "resumed": "Resumed: {n} replies kept from {when}",
        "not_saved": "Progress is not being saved: {msg}",
        "team_files_skipped": "{n} team lexicon/rule file(s) left out, each with a problem: "
        "`peilian scenarios check` lists them.",
        # pause
        "paused": "Paused",
        "paused_body": "The chat is hidden and your reply timer is stopped.\n\n"
        "Enter or F3: continue.\n"
        "Esc: save your replies and go back to the scenario list (Resume on the brief picks up "
        "where you were).",
        "continue": "Continue",
        "save_leave": "Save and leave",
        # summary
        "again": "Try again",
        "next": "Next scenario",
        "list": "Scenarios",
        "chart_turns": "Scores per turn",
        "turn": "turn",
        # progress
        "progress": "My progress",
        "team": "Team",
        "chart_sessions": "Your sessions (mean score per session)",
        "session": "session",
        "no_trend": "No scored sessions yet: the trend appears after your first session.",
        "no_store": "Progress isn't kept in this session.",
        "lead_only": "The team view is for team leads.",
        # footer (binding descriptions)
        "k_quit": "Quit",
        "k_theme": "Light/dark",
        "k_lang": "中文",
        "k_palette": "Commands",
        "k_progress": "My progress",
        "k_search": "Search",
        "k_dismiss": "Close",
        "k_team": "Team",
        "k_back": "Back",
        "k_start": "Start",
        "k_hint": "Hint",
        "k_model": "Model answer",
        "k_pause": "Pause",
        "k_leave": "Leave",
        "k_newline": "New line",
        "k_list": "Scenarios",
        "k_again": "Try again",
        "k_next": "Next",
        "k_continue": "Continue",
        "k_save_leave": "Save and leave",
        # command palette
        "palette_search": "Search for commands…",
        "cmd_lang": "Language: 中文",
        "cmd_lang_help": "Switch the interface to Chinese (Ctrl+L)",
        "cmd_dark": "Light/dark",
        "cmd_dark_help": "Toggle the light and the dark theme (Ctrl+T)",
        "cmd_progress": "My progress",
        "cmd_progress_help": "Your trends, weakest habits and readiness (F5)",
        "cmd_team": "Team view",
        "cmd_team_help": "The team report, for team leads (F6)",
        "cmd_pause": "Pause",
        "cmd_pause_help": "Hide the chat and stop the reply timer (F3)",
        "cmd_hint": "Hint",
        "cmd_hint_help": "A hint for this turn: 5 points off the session's score, counted in your report (F1)",
        "cmd_quit": "Quit",
        "cmd_quit_help": "Leave the app; every scored reply is already saved (Ctrl+Q)",
        # -- team view (tables) ------------------------------------------------------------------------------
        "rp_summary": "{t} trainees · {n} sessions · ready means: {gate}",
        "rp_keys": "PgUp/PgDn/↑/↓ scroll the page · Tab into a table, then ←/→ for its other columns",
        "rp_trainees": "Trainees",
        "rp_leaderboard": "Leaderboard",
        "rp_difficulty": "Scenarios, hardest first",
        "rp_trips_note": "Trips on: the beat most failed sessions ended on.",
        "rc_trainee": "trainee",
        "rc_sessions": "sessions",
        "rc_overall": "overall",
        "rc_weakest": "weakest",
        "rc_passed": "passed",
        "rc_ready": "ready",
        "rc_last": "last",
        "rc_rank": "#",
        "rc_passed_n": "passed",
        "rc_scenario": "scenario",
        "rc_attempts": "attempts",
        "rc_trainees": "trainees",
        "rc_pass_rate": "pass rate",
        "rc_resolved": "resolved",
        "rc_mean": "mean",
        "rc_trips": "trips on",
        # -- end of team view --------------------------------------------------------------------------------
    },
    "zh": {
        "certainty": "确定性",
        "simplicity": "简单",
        "warmth": "温度",
        "mood": "情绪",
        "forbidden": "禁止",
        "model_answer": "参考答案",
        "lost": "扣分",
        "resolved": "已解决",
        "escalated": "升级投诉",
        "abandoned": "顾客离开",
        "you": "你",
        "customer": "顾客",
        "ended": "对话结束",
        "typing": "顾客正在输入…",
        "typing_short": "正在输入…",
        "typing_slow": "正在输入…({s} 秒:模型有点慢;F3 暂停,Esc 保存并离开)",
        "trainee": "学员姓名",
        "search": "搜索情境(编号、标题、标签)…",
        "f_lang": "全部语言",
        "f_level": "全部难度",
        "f_tag": "全部标签",
        "lang_zh": "简体中文",
        "lang_zh-Hant": "繁體中文",
        "lang_en": "英文",
        "lang_mixed": "中英混合",
        "no_match": "没有符合搜索和筛选条件的情境(Esc 清空搜索)。",
        "no_scenarios": "情境加载失败:{msg}",
        "col_id": "编号",
        "col_title": "标题",
        "col_lang": "语言",
        "col_tags": "标签",
        "best": "最好",
        "passed": "通过",
        "facts": "事实",
        "objectives": "目标",
        "start": "开始",
        "back": "返回",
        "resume": "继续上次(已保存 {n} 条回复)",
        "reply": "输入回复。Enter 发送,Ctrl+J 换行。",
        "turn_timer": "⏱ 本轮用时:{s} 秒",
        "voice_model": "顾客由 {name} 扮演",
        "voice_retry": "顾客由 {name} 扮演(第二次生成)",
        "voice_guard": "这句用了脚本台词({name} 的话没通过检查)",
        "voice_down": "正在用脚本台词({name} 没有响应)",
        "voice_lang": "正在用脚本台词({name} 不会说{language})",
        "voice_ending": "这句是脚本台词(结局总是脚本台词)",
        "voice_note": "由 {name} 说出",
        "brief_scripted": "顾客的话是脚本台词:{name} 不会说{language}。",
        "pick_scripted": "顾客由 {name} 扮演:{langs}的场景用脚本台词(它不会说这些语言)。",
        "model_down": "顾客模型没有响应,已改用脚本台词,练习可以继续。({why})",
        "hint": "提示",
        "hint_cost": "提示(本次练习总分扣 {n} 分;再看不再扣分)",
        "no_hint": "这条消息没有提示。",
        "ended_help": "对话已结束:Enter 看总结,F2 看全部参考答案。",
        "overall": "总分 {n}",
        "hints_cost": "(用了 {k} 次提示,-{n})",
        "model_after": "对话结束后才能查看参考答案。",
        "resumed": "已继续:保留了 {when} 的 {n} 条回复",
        "not_saved": "进度没有保存:{msg}",
        "team_files_skipped": "有 {n} 个团队词表/规则文件有问题,已跳过:运行 `peilian scenarios check` 查看。",
        "paused": "已暂停",
        "paused_body": "暂停时对话已隐藏,回复计时已停止。\n\n"
        "Enter 或 F3:继续。\n"
        "Esc:保存回复并返回情境列表(下次在简介页点“继续上次”接着练)。",
        "continue": "继续",
        "save_leave": "保存并离开",
        "again": "再来一次",
        "next": "下一个情境",
        "list": "情境列表",
        "chart_turns": "每轮得分",
        "turn": "轮次",
        "progress": "我的进度",
        "team": "团队",
        "chart_sessions": "历次练习(每次的平均分)",
        "session": "练习",
        "no_trend": "还没有评分的练习:完成第一次练习后这里会显示趋势。",
        "no_store": "本次没有保存进度。",
        "lead_only": "团队视图只对组长开放。",
        "k_quit": "退出",
        "k_theme": "明暗",
        "k_lang": "English",
        "k_palette": "命令",
        "k_progress": "我的进度",
        "k_search": "搜索",
        "k_dismiss": "关闭",
        "k_team": "团队",
        "k_back": "返回",
        "k_start": "开始",
        "k_hint": "提示",
        "k_model": "参考答案",
        "k_pause": "暂停",
        "k_leave": "离开",
        "k_newline": "换行",
        "k_list": "情境列表",
        "k_again": "再来一次",
        "k_next": "下一个",
        "k_continue": "继续",
        "k_save_leave": "保存并离开",
        "palette_search": "搜索命令…",
        "cmd_lang": "语言:English",
        "cmd_lang_help": "界面切换为英文(Ctrl+L)",
        "cmd_dark": "明暗主题",
        "cmd_dark_help": "切换浅色和深色主题(Ctrl+T)",
        "cmd_progress": "我的进度",
        "cmd_progress_help": "你的趋势、最弱的习惯和上岗准备(F5)",
        "cmd_team": "团队视图",
        "cmd_team_help": "团队报告,组长使用(F6)",
        "cmd_pause": "暂停",
        "cmd_pause_help": "隐藏对话并停止回复计时(F3)",
        "cmd_hint": "提示",
        "cmd_hint_help": "本轮的提示:本次练习总分扣 5 分,并记入你的报告(F1)",
        "cmd_quit": "退出",
        "cmd_quit_help": "离开应用;已评分的回复都已保存(Ctrl+Q)",
        # -- team view (tables) ------------------------------------------------------------------------------
        "rp_summary": "{t} 名学员 · {n} 次练习 · 上岗标准:{gate}",
        "rp_keys": "PgUp/PgDn/↑/↓ 翻页 · Tab 进入表格后用 ←/→ 看其他列",
        "rp_trainees": "学员",
        "rp_leaderboard": "排行榜",
        "rp_difficulty": "情境难度(最难的在前)",
        "rp_trips_note": "卡在:失败的练习最常结束在的环节。",
        "rc_trainee": "学员",
        "rc_sessions": "练习",
        "rc_overall": "综合",
        "rc_weakest": "最弱",
        "rc_passed": "通过",
        "rc_ready": "可上岗",
        "rc_last": "最近练习",
        "rc_rank": "#",
        "rc_passed_n": "通过情境",
        "rc_scenario": "情境",
        "rc_attempts": "次数",
        "rc_trainees": "学员数",
        "rc_pass_rate": "通过率",
        "rc_resolved": "解决率",
        "rc_mean": "平均分",
        "rc_trips": "卡在",
        # -- end of team view --------------------------------------------------------------------------------
    },
}


def tr(lang: str, key: str, **values) -> str:
    """The words for `key` in `lang` (English if the key is missing there), with `values` filled in."""
    words = LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]
    return words.format(**values) if values else words


def other(lang: str) -> str:
    return "en" if lang == "zh" else "zh"


# Textual's own footer words that a Chinese interface shows (the dropdown of a Select), by their LABELS key.
TEXTUAL_WORDS = {"Dismiss menu": "k_dismiss"}


def localize_bindings(node, lang: str) -> None:
    """Footer descriptions of `node`'s bindings in `lang`: a description that is a LABELS key starting with `k_`
    is looked up, and so are Textual's own words listed in TEXTUAL_WORDS (its other bindings keep theirs).

    The keys are remembered on the node the first time, so it can be switched back and forth."""
    bindings = node._bindings.key_to_bindings
    keys = node.__dict__.get("_label_keys")
    if keys is None:
        keys = {
            (key, b.action): TEXTUAL_WORDS.get(b.description, b.description)
            for key, bs in bindings.items()
            for b in bs
            if (b.description.startswith("k_") and b.description in LABELS["en"])
            or b.description in TEXTUAL_WORDS
        }
        node._label_keys = keys
    if not keys:
        return
    for key, bs in bindings.items():
        bindings[key] = [
            replace(b, description=tr(lang, keys[key, b.action])) if (key, b.action) in keys else b
            for b in bs
        ]


def localize_tree(root, lang: str) -> None:
    """`localize_bindings` on `root` and every widget under it that has bindings of its own."""
    for node in (root, *root.walk_children()):
        if node._bindings.key_to_bindings:
            localize_bindings(node, lang)
