"""The report's words in English and Japanese: every text (:data:`MESSAGES`, ``str.format`` fields where a
figure goes in) and the labels of decision kinds, saving kinds and capacity units."""

from __future__ import annotations

from .reform_messages import REFORM_MESSAGES

__all__ = ["MESSAGES", "DECISION_LABELS", "SAVING_KIND_LABELS", "REVENUE_SOLD_ONLY", "CAPACITY_UNITS"]

#: what each decision kind is called (map legend, badges, tables)
DECISION_LABELS: dict[str, tuple[str, str]] = {
    "keep": ("kept", "存続"),
    "rebuild": ("kept, rebuilt in the horizon", "存続（期間内に改築）"),
    "host": ("hosts co-located services", "複合化（他施設の機能を受け入れ）"),
    "convert": ("converted to another use", "機能転換"),
    "close": ("closed", "廃止"),
    "new": ("new building", "新設"),
    "not_built": ("candidate site, not used", "候補地（使用せず）"),
}

#: the kinds of a saving (keys of ``Kpis.saving_by_kind``; a plan shows those it has, in this order; where
#: ``lease`` is a kind of its own, ``revenue`` is the land sold only: :data:`REVENUE_SOLD_ONLY`)
SAVING_KIND_LABELS: dict[str, tuple[str, str]] = {
    "renewal": ("Renewal works (renovations, rebuilds)", "改修・改築費"),
    "temporary": ("Temporary premises during rebuilds", "改築中の仮設施設費"),
    "running": ("Running costs of the floor in use", "維持管理・運営費（面積比例）"),
    "fixed": ("Fixed costs of open buildings", "施設ごとの固定費"),
    "operating": (
        "Service operating costs (per place, staff included)",
        "サービスの運営費（定員あたり、人件費を含む）",
    ),
    "transition": ("Operator changes (one-off transition)", "運営主体の変更（移行経費）"),
    "new_build": ("New floor (extensions, new buildings)", "新設・増築費"),
    "land": ("Land bought for new buildings", "用地取得費"),
    "revenue": ("Land sold or leased (income)", "跡地の売却・貸付収入"),
    "lease": ("Land leased (income)", "跡地の貸付収入"),
    "reuse": ("Land reused for a new need (its value)", "跡地の再活用（その価値）"),
    "deferred": ("Renewal deferred past the horizon", "計画期間後に先送りした改修・改築"),
    "penalty": ("Renewal risk (works late, early or dropped)", "改修・改築の時期ずれ・中止のリスク"),
}

#: ``revenue``'s label when the plan counts lease income apart
REVENUE_SOLD_ONLY: tuple[str, str] = ("Land sold (income)", "跡地の売却収入")

#: key -> (English, Japanese); ``{name}`` fields are filled by :func:`tr`
MESSAGES: dict[str, tuple[str, str]] = {
    # units
    "oku": ("oku-yen", "億円"),
    "oku_long": ("oku-yen (100 million yen)", "億円"),
    "m2": ("m²", "m²"),
    "year": ("year", "年度"),
    "percent": ("%", "%"),
    # header
    "title": ("{plan}: public facility plan for {ward}", "{plan}：{ward} 公共施設再編計画"),
    "meta_model": (
        "Planning model <b>{plan}</b> · ward {ward} · horizon {start}–{end} ({years} years)",
        "計画モデル <b>{plan}</b> · {ward} · 計画期間 {start}–{end}年度（{years}年間）",
    ),
    "meta_solver": (
        "Solver {solver}: {status}, proven gap {gap} · independent check: {check}",
        "ソルバー {solver}：{status}、最適性ギャップ {gap} · 独立検証：{check}",
    ),
    "passed": ("passed", "合格"),
    "failed": ("FAILED", "不合格"),
    "invalid_plan": ("The plan fails the independent check:", "この計画は独立検証に合格していません："),
    "baseline_misses": (
        "Keeping everything already misses the standards in {n} place(s),",
        "現状維持でも {n} か所で基準を満たしていません。",
    ),
    "baseline_ref": (
        "so the baseline is a reference, not a valid plan.",
        "現状維持は比較の基準であり、実行可能な計画ではありません。",
    ),
    "where_n": ("Where ({n})", "該当箇所（{n}）"),
    # headline
    "h_headline": ("Headline figures against keeping everything", "主要指標（現状維持との比較）"),
    "card_saved": ("saved over {years} years ({share} %)", "{years}年間の削減額（{share} %）"),
    "card_buildings": ("buildings", "施設棟数"),
    "card_floor": ("less floor area ({before} → {after} m²)", "延床面積の削減（{before} → {after} m²）"),
    "card_closures": ("closures / new buildings", "廃止 / 新設"),
    "card_coverage": (
        "lowest coverage of any planned service (keep everything: {before} %)",
        "対象サービスの最低充足率（現状維持：{before} %）",
    ),
    "col_keep": ("keep everything", "現状維持"),
    "col_plan": ("plan", "計画"),
    "col_change": ("change", "増減"),
    "col_unit": ("unit", "単位"),
    "kpi_buildings": ("Buildings", "施設棟数"),
    "kpi_floor": ("Gross floor area", "延床面積"),
    "kpi_cost": ("Cost over {years} years", "{years}年間の総費用"),
    "kpi_cost_year": ("Cost per year (average)", "年平均費用"),
    "kpi_peak": ("Peak annual spend (renewal, new floor, land)", "単年度支出の最大値（改修・改築、新設、用地）"),
    "kpi_penalty": ("Renewal risk of works done late, early or dropped", "改修・改築の時期ずれ・中止のリスク"),
    "kpi_access": ("Access: residents × distance to their service", "アクセス：利用者数 × 施設までの距離"),
    "kpi_station": ("Services at station-front sites", "駅前立地のサービス"),
    "kpi_coverage": ("Lowest coverage of any planned service", "対象サービスの最低充足率"),
    "unit_in_cost": ("oku-yen (in the cost)", "億円（総費用に含む）"),
    "unit_access": ("person-km (lower is closer)", "人・km（小さいほど近い）"),
    "unit_coverage": ("% of target residents within the standard", "基準距離内の対象住民の割合 %"),
    "level_budget": (" Level annual budget found: {v} oku-yen.", " 平準化した年間予算：{v}億円。"),
    "mean_budget": (" Annual budget (mean over the horizon): {v} oku-yen.", " 年間予算（期間平均）：{v}億円。"),
    "capital_note": (
        "Capital spend for change (new floor area and land): {capital} oku-yen, included in the plan's "
        "cost. Saving: {saving} oku-yen ({share} % of keeping everything).{budget}",
        "再編のための投資（新設・増築と用地）：{capital}億円（計画の総費用に含む）。"
        "削減額：{saving}億円（現状維持の {share} %）。{budget}",
    ),
    "h_saving_kinds": ("Where the saving comes from", "削減額の内訳"),
    "saving_kinds_note": (
        "Keeping everything minus the plan, per kind of cost over the horizon, in oku-yen "
        "(negative: the plan spends more on it; land income counts as a saving). The kinds add up "
        "to the saving to the yen; each decision's saving below is its site's saving split by "
        "floor area.",
        "費目ごとの「現状維持 − 計画」（計画期間の合計、億円。負の値は計画の方が多く支出する費目、"
        "跡地収入は削減に数える）。内訳の合計は削減額に1円単位で一致します。下表の各施設の削減額は"
        "敷地の削減額を床面積で按分したものです。",
    ),
    "saving_total": ("Saving", "削減額"),
    "saving": ("saving", "削減額"),
    # map
    "h_map": ("Decisions on the map", "地図で見る施設の方針"),
    "map_alt": ("map of the decisions", "施設の方針の地図"),
    "map_caption": (
        "Every ward facility in the plan, marked by its decision; stars are new buildings at candidate "
        "sites, black squares stations, grey dots the town blocks (町丁目) sized by population.",
        "計画の対象施設を方針別に表示。星印は候補地の新設施設、黒い四角は駅、灰色の点は町丁目（大きさは人口）。",
    ),
    "map_title": ("{plan}: decisions {start}-{end}", "{plan}：施設の方針 {start}–{end}年度"),
    "map_zone": ("zone (size = population)", "町丁目（大きさ＝人口）"),
    "map_station": ("station ({n})", "駅（{n}）"),
    "map_coords": ("coordinates: {crs}", "座標系：{crs}"),
    "ward_title": ("{name}: facilities, zones and stations", "{name}：施設・町丁目・駅"),
    "planned_station": ("planned station ({n})", "計画中の駅（{n}）"),
    "axis_x": ("x (m, {crs})", "x（m、{crs}）"),
    "axis_y": ("y (m)", "y（m）"),
    "imap_note": (
        "Interactive map (works without a network): tick layers in the box at the top right; choose a year "
        "to see which facilities are open then and what they offer; click a facility for its decision and "
        "reason. Town blocks are coloured by the share of their residents within the standards.",
        "操作できる地図（ネットワーク不要）：右上の一覧で表示する層を選び、年度を選ぶとその年度に開いている"
        "施設と提供サービスを表示します。施設をクリックすると方針と理由を表示します。町丁目は基準距離内の"
        "住民の割合で色分けしています。",
    ),
    "imap_year": ("Year", "年度"),
    "imap_all_years": ("whole horizon", "計画期間全体"),
    "imap_services": ("Services", "サービス"),
    "imap_tiles": ("Background map (OpenStreetMap, online only)", "背景地図（OpenStreetMap、オンライン時のみ）"),
    "imap_zones": ("Town blocks: coverage", "町丁目：充足率"),
    "imap_zones_legend": (
        "Town blocks: residents within the standards in the year shown (the last year for the whole horizon)",
        "町丁目：表示年度に基準距離内の住民の割合（計画期間全体では最終年度）",
    ),
    "imap_stations": ("Stations", "駅"),
    "imap_boundary": ("Ward boundary", "区境"),
    "imap_static": ("Static map (for printing)", "静的な地図（印刷用）"),
    "pop_decision": ("decision", "方針"),
    "pop_year": ("from", "実施年度"),
    "pop_services_before": ("services now", "現在のサービス"),
    "pop_services_after": ("services after", "計画後のサービス"),
    "pop_services_in": ("services in the year", "その年度のサービス"),
    "pop_reason": ("reason", "理由"),
    "pop_summary": ("summary", "概要"),
    "pop_floor": ("floor", "延床面積"),
    "pop_imputed": ("rests on imputed data", "推計値に依拠"),
    "pop_covered": ("residents within the standards (worst service)", "基準距離内の住民の割合（最も低いサービス）"),
    "pop_worst": ("in its worst year", "最も低い年度"),
    "pop_population": ("population", "人口"),
    "legend_coverage": ("coverage", "充足率"),
    # cost by year
    "h_cost_year": ("Cost by year", "年度別の費用"),
    "cost_year_alt": ("cost per year before and after", "年度別の費用（現状維持と計画）"),
    "cost_year_caption": (
        "Renewal (renovation and rebuild), running costs, new floor area and land, less land sold "
        "or leased, per year, in oku-yen (億円, 100 million yen).",
        "年度ごとの改修・改築費、維持管理・運営費、新設・用地費から跡地の売却・貸付収入を引いた額（億円）。",
    ),
    "per_year_figures": ("The figures per year (oku-yen)", "年度別の数値（億円）"),
    "col_year": ("year", "年度"),
    "col_plan_renewal": ("plan: renewal", "計画：改修・改築"),
    "col_plan_new": ("plan: new floor", "計画：新設"),
    "col_plan_land_income": ("plan: land income", "計画：跡地収入"),
    "not_available_problem": (
        "Not available: pass the problem (or a cost-by-year table) to show it.",
        "表示できません：問題データ（または年度別費用表）がありません。",
    ),
    "cy_keep": ("keep everything: {v} oku-yen", "現状維持：{v}億円"),
    "cy_plan": ("plan: {v} oku-yen", "計画：{v}億円"),
    "cy_title": (
        "Cost per year: saves {v} oku-yen over {n} years (dashed: averages)",
        "年度別の費用：{n}年間で{v}億円削減（破線：平均）",
    ),
    # spend
    "h_spend": ("Annual spend against the budget", "年度別支出と予算"),
    "spend_level": ("level annual budget", "平準化した年間予算"),
    "spend_budget": ("annual budget", "年間予算"),
    "spend_within": ("within the {what} every year", "全年度で{what}以内"),
    "spend_over": ("over the {what} in {n} year(s): {years}", "{n}年度で{what}を超過：{years}"),
    "spend_none": ("no annual budget is set", "年間予算の設定なし"),
    "spend_note": (
        "What each year's budget is charged: renewal works of the buildings kept, new floor and land. Peak "
        "year {peak} oku-yen (keeping everything within its renewal windows: {base}); {verdict}.",
        "各年度の予算に計上される支出：存続施設の改修・改築、新設・増築、用地。最大の年度 {peak}億円"
        "（現状維持で更新時期内に実施する場合：{base}億円）。{verdict}。",
    ),
    "col_spend": ("plan: spend", "計画：支出"),
    "col_of_renewal": ("of which renewal", "うち改修・改築"),
    "col_new_land": ("new floor and land", "新設・用地"),
    "col_budget": ("budget", "予算"),
    "spend_alt": ("annual spend against the budget", "年度別支出と予算"),
    "spend_caption": (
        "Blue/yellow/brown: the plan's spend by kind; grey: keeping everything; red: the annual budget (oku-yen).",
        "青・黄・茶：計画の支出（費目別）、灰：現状維持、赤：年間予算（億円）。",
    ),
    "sp_renewal": ("plan: renewal", "計画：改修・改築"),
    "sp_new": ("plan: new floor", "計画：新設・増築"),
    "sp_land": ("plan: land", "計画：用地"),
    "sp_plan": ("plan", "計画"),
    "sp_budget": ("annual budget", "年間予算"),
    "sp_title": ("Spend charged to the budget per year (peak {v} oku-yen)", "年度別の予算計上額（最大 {v}億円）"),
    # places and years
    "h_places": ("Places (定員) before and after", "定員の変化（現状維持と計画）"),
    "places_note": (
        "Places of each service: today's in the register, keeping everything, and the plan's in the first "
        "and last year of the horizon (the change is the plan's last year against keeping everything); "
        "the per-year figures follow.",
        "サービスごとの定員：施設台帳の現在の定員、現状維持、計画の初年度と最終年度（増減は最終年度の"
        "計画と現状維持の差）。年度別の数値は次の節にあります。",
    ),
    "col_service": ("service", "サービス"),
    "col_unit_places": ("unit", "単位"),
    "col_places_now": ("places now (register)", "現在の定員（施設台帳）"),
    "h_years": ("Capacity and coverage per year", "年度別の定員と充足率"),
    "years_note": (
        "Per service and year: the places (or pupils, users) the plan provides, the demand of its target "
        "residents, the policy's minimum capacity and the share of target residents within the standard "
        "with a place.",
        "サービス・年度ごとの定員（児童・利用者数）、対象住民の需要、最低定員、"
        "基準距離内で定員が確保される対象住民の割合。",
    ),
    "years_alt": ("capacity and demand per year and service", "サービス別・年度別の定員と需要"),
    "years_caption": (
        "Blue: capacity of the sites serving the service; orange: demand; red dashed: the policy's minimum.",
        "青：定員、橙：需要、赤破線：最低定員。",
    ),
    "per_year_of": ("{label} ({id}): per year", "{label}（{id}）：年度別"),
    "col_demand": ("demand", "需要"),
    "col_capacity": ("capacity", "定員"),
    "col_minimum": ("minimum", "最低定員"),
    "col_covered": ("covered %", "充足率 %"),
    "col_sites": ("sites", "施設数"),
    "py_capacity": ("capacity", "定員"),
    "py_demand": ("demand", "需要"),
    "py_minimum": ("minimum", "最低定員"),
    "py_title": ("{label}: coverage >= {v}%", "{label}：充足率 {v}% 以上"),
    "h_nursery": ("Nursery places per year", "保育園の定員（年度別）"),
    "nursery_note": (
        "Places in the nurseries the plan keeps, hosts or builds, against the children expected each "
        "year; lowest coverage {v} % in {year}.",
        "計画で存続・受け入れ・新設する保育園の定員と各年度の見込み児童数。最低充足率 {v} %（{year}年度）。",
    ),
    "col_children": ("children", "児童数"),
    "col_places": ("places", "定員"),
    "col_spare": ("spare", "余裕"),
    # timeline
    "h_timeline": ("Timeline of moves", "移転・再編の工程"),
    "timeline_note": (
        "When each service leaves a site and where it arrives, year by year, with the renewal works "
        "of the buildings kept.",
        "各サービスがいつどの施設から移り、どこへ移るか（年度順）と、存続施設の改修・改築工事。",
    ),
    "timeline_alt": ("timeline of the sites that change", "変化する施設の工程表"),
    "timeline_caption": (
        "The {shown} of {n} site(s) whose services change, in order of their first change; hatched: "
        "renewal works; ×: the site closes.",
        "サービスが変わる {n} 施設のうち {shown} 施設（最初の変化の順）。斜線：改修・改築工事、×：廃止。",
    ),
    "col_from_year": ("from year", "実施年度"),
    "col_kind_change": ("change", "変化"),
    "col_leaves": ("leaves", "移転元"),
    "col_arrives": ("arrives at", "移転先"),
    "col_places_before": ("places before", "変更前の定員"),
    "col_places_after": ("places after", "変更後の定員"),
    "no_moves": ("No service moves within the horizon.", "計画期間内にサービスの移転はありません。"),
    "renewal_events": ("Renewal events ({n}: {counts})", "改修・改築（{n}件：{counts}）"),
    "col_site": ("site", "施設"),
    "col_event": ("event", "工事"),
    "col_due": ("due", "更新時期"),
    "col_status": ("status", "扱い"),
    "col_works": ("works", "工期"),
    "col_site_closes": ("site closes", "廃止年度"),
    "col_cost_oku": ("cost oku-yen", "費用 億円"),
    "col_penalty_oku": ("penalty oku-yen", "リスク 億円"),
    "tl_title": ("Where each service is, year by year (sites that change)", "年度別のサービス配置（変化する施設）"),
    "tl_works": ("renewal works", "改修・改築工事"),
    "tl_closes": ("closes", "廃止"),
    "move_move": ("move", "移転"),
    "move_leave": ("leave", "撤退"),
    "move_open": ("open", "開設"),
    "move_capacity": ("capacity", "定員変更"),
    "ev_done": ("done", "実施"),
    "ev_deferred": ("deferred", "先送り"),
    "ev_dropped": ("dropped", "中止"),
    "ev_renovation": ("renovation", "大規模改修"),
    "ev_rebuild": ("rebuild", "改築"),
    # services
    "h_services": ("Coverage and distance per service", "サービス別の充足率と距離"),
    "services_note": (
        "Coverage: share of each service's target residents within its distance standard; distances "
        "are walking estimates from each town block to the site serving it.",
        "充足率：基準距離内の対象住民の割合。距離は各町丁目から利用施設までの徒歩距離の推計。",
    ),
    "col_sites_before": ("sites before", "施設数（現状）"),
    "col_after": ("after", "計画"),
    "col_cov_before": ("coverage before %", "充足率（現状）%"),
    "col_after_pct": ("after %", "計画 %"),
    "col_mean_before": ("mean distance before m", "平均距離（現状）m"),
    "col_after_m": ("after m", "計画 m"),
    "col_p95_before": ("p95 before m", "95%距離（現状）m"),
    "col_sf_before": ("station-front before %", "駅前立地（現状）%"),
    # decisions
    "h_decisions": ("Decisions ({n} facilities change: {counts})", "施設ごとの方針（変化する施設 {n}：{counts}）"),
    "decisions_note": (
        "New buildings first, then hosts of co-located services, conversions and closures; the reason "
        "says where each service goes and what it saves.",
        "新設、複合化（受け入れ）、機能転換、廃止の順。理由欄に各サービスの移転先と削減額を示します。",
    ),
    "keeps_all": ("The plan keeps every facility as it is.", "計画はすべての施設を現状のまま維持します。"),
    "all_facilities": ("All {n} facilities", "全 {n} 施設"),
    "col_id": ("id", "ID"),
    "col_facility": ("facility", "施設"),
    "col_decision": ("decision", "方針"),
    "col_services_before": ("services before", "現在のサービス"),
    "col_services_after": ("services after", "計画後のサービス"),
    "col_floor_before": ("floor before m²", "延床面積（現状）m²"),
    "col_floor_after": ("after m²", "計画 m²"),
    "col_saving_oku": ("saving oku-yen", "削減額 億円"),
    "col_reason": ("reason", "理由"),
    "col_imputed": ("rests on imputed data", "推計値に依拠"),
    "reason_lang_note": (
        "",
        "「概要」は計画の移転・工事の記録から作成し、「理由」は最適化モデルが出力する英文（費用の内訳を含む）です。",
    ),
    "col_summary": ("summary", "概要"),
    "sentence_end": (". ", "。"),
    "sum_head_year": ("{label} in {year}", "{year}年度に{label}"),
    "sum_users_to": ("{svc}: its residents go to {to}", "{svc}の利用者は{to}へ"),
    "sum_lost": (
        "{svc} ends here; its residents are not served elsewhere the next year",
        "{svc}を終了（翌年度、利用者の行き先なし）",
    ),
    "sum_unused": ("{svc} ends here (no residents were assigned to it)", "{svc}を終了（利用者の割り当てなし）"),
    "sum_takes_from": ("takes {svc}, its residents coming from {src}", "{src}から{svc}を受け入れ"),
    "sum_opens": ("opens {svc}", "{svc}を開設"),
    "sum_and_more": (" and {n} more", "ほか{n}施設"),
    "sum_works": ("{kind} {start}–{end}", "{kind}（{start}–{end}年度）"),
    "sum_saving": ("saves {v} oku-yen", "削減額 {v}億円"),
    # trade-off
    "h_tradeoff": ("Cost against access", "費用とアクセスのトレードオフ"),
    "tradeoff_alt": ("cost-access trade-off curve", "費用とアクセスのトレードオフ曲線"),
    "tradeoff_caption": (
        "Each point is a plan: the cheapest, the most accessible, and plans between them with a cap "
        "on the residents' total distance (epsilon constraint).",
        "各点が一つの計画：最も安い計画、最もアクセスの良い計画、その間で住民の総移動距離に上限を"
        "設けた計画（ε制約法）。",
    ),
    "col_plan_point": ("plan", "計画"),
    "col_access": ("access person-km", "アクセス 人・km"),
    "col_cost_oku2": ("cost oku-yen", "費用 億円"),
    "col_buildings": ("buildings", "棟数"),
    "col_floor_m2": ("floor m²", "延床面積 m²"),
    "to_x": ("access: population-weighted distance (person-km)", "アクセス：人口加重距離（人・km）"),
    "to_y": ("cost over the horizon (oku-yen)", "計画期間の総費用（億円）"),
    "to_title": ("Cost–access trade-off (epsilon constraint)", "費用とアクセスのトレードオフ（ε制約法）"),
    # planner sections
    "h_context": ("The ward's facilities in context", "区の公共施設の全体像"),
    "context_note": (
        "What this plan covers against the ward's whole stock and its renewal bill, as the ward "
        "published them; the modelled figures are this run's own.",
        "区が公表した施設全体と更新費用に対する、この計画の対象範囲。「モデル化した施設」はこの計算の値です。",
    ),
    "context_absent": (
        "The ward's published figures (its whole stock, renewal bill) are not in the data "
        "(no context.yaml in the ward folder).",
        "区の公表値（施設全体、更新費用）はデータにありません（区データのフォルダに context.yaml がない）。",
    ),
    "col_figure": ("figure", "項目"),
    "col_value": ("value", "値"),
    "col_source": ("source", "出典"),
    "ctx_modelled_fac": ("Facilities modelled in this plan", "この計画でモデル化した施設"),
    "ctx_modelled_bld": (
        "Buildings and housing units modelled (not rooms in another's building)",
        "モデル化した建物・住戸（他施設内の室を除く）",
    ),
    "ctx_modelled_floor": ("Floor area modelled", "モデル化した延床面積"),
    "ctx_modelled_renewal": (
        "Renewal of the modelled facilities, keeping everything ({years} years)",
        "モデル化した施設の改修・改築費（現状維持、{years}年間）",
    ),
    "ctx_this_run": ("this run", "この計算"),
    "h_areas": ("Results by area", "地区別の結果"),
    "areas_note": (
        "Facilities grouped by {what}; a site outside every district goes to the district of its nearest town block.",
        "施設を{what}で集計（学校以外の施設は最寄りの町丁目の学区に含める）。",
    ),
    "areas_absent": (
        "Not available: the plan's model has no school districts to group by.",
        "表示できません：このモデルには集計に使う学区がありません。",
    ),
    "district_jh": ("junior high school district (中学校区)", "中学校区"),
    "district_pr": ("primary school district (小学校区)", "小学校区"),
    "district_of": ("{name} district", "{name}区"),
    "col_area": ("area", "地区"),
    "col_facilities": ("facilities", "施設数"),
    "col_closed": ("closed", "廃止"),
    "col_new": ("new", "新設"),
    "col_hosts": ("co-location hosts", "複合化"),
    "col_floor_change": ("floor change m²", "延床面積の増減 m²"),
    "col_saving_area": ("saving oku-yen", "削減額 億円"),
    "h_freed": ("Freed sites (跡地)", "跡地の活用"),
    "freed_note": (
        "Sites the plan closes, with their land and what happens to it (the plan's land policy: {policy}).",
        "計画で廃止する施設の敷地と、その扱い（計画の方針：{policy}）。",
    ),
    "freed_note_own": (
        "Sites the plan closes, with their land and what the plan chose for it, site by site.",
        "計画で廃止する施設の敷地と、敷地ごとに計画が選んだ扱い。",
    ),
    "freed_none": ("The plan frees no site.", "計画で生じる跡地はありません。"),
    "col_site_area": ("site area m²", "敷地面積 m²"),
    "col_tenure": ("tenure", "土地"),
    "col_outcome": ("what happens", "扱い"),
    "col_income_oku": ("income or value oku-yen", "収入・価値 億円"),
    "col_closes_year": ("closes", "廃止年度"),
    "area_absent": ("not in the data", "データなし"),
    "tenure_owned": ("ward-owned", "区有地"),
    "tenure_other": ("not owned (leased or borrowed)", "借地等"),
    "tenure_shared": ("ward-owned, shares its building or site", "区有地（建物・敷地を共用）"),
    "fate_returned": ("returned to its owner", "借地を返還"),
    "fate_sell": ("sold", "売却"),
    "fate_lease": ("leased", "貸付"),
    "fate_none": ("kept by the ward, unused", "区が保有（活用未定）"),
    "fate_not_sellable": ("nothing to sell (shared or no known area)", "処分対象外（共用・面積不明）"),
    "fate_reuse": ("re-used by the ward", "区が再活用"),
    "h_imputed": ("Decisions resting on imputed data", "推計値に依拠する方針"),
    "imputed_note": (
        "These decisions use register values the data mark as imputed (floor area, year built, site "
        "area...); check them before acting.",
        "以下の方針は、データ上「推計」とされた値（延床面積、建築年、敷地面積など）に依拠しています。"
        "実施前に確認してください。",
    ),
    "imputed_none": (
        "No decision that changes a facility rests on imputed data.",
        "施設を変える方針で推計値に依拠するものはありません。",
    ),
    "col_fields": ("imputed fields", "推計値の項目"),
    # data and footer
    "h_data": ("Data and assumptions", "データと前提"),
    "no_credits": ("(no credits given in ward.yaml)", "（ward.yaml に出典の記載なし）"),
    "footer": (
        "Made with facility_opt {version} from planning model {plan}; the plan's files (plan.json, "
        "decisions.csv, …) hold every figure shown here.",
        "facility_opt {version} により計画モデル {plan} から作成。ここに示すすべての数値は計画のファイル"
        "（plan.json、decisions.csv など）にあります。",
    ),
    "imputed_values": ("Imputed values in the data — {parts}.", "データ中の推計値 — {parts}。"),
    "imputed_values_none": ("No field of the data is marked imputed.", "推計値とされた項目はありません。"),
    "imputed_rules": (
        " The imputation rules are in the data README ({link}).",
        " 推計の方法はデータの README（{link}）にあります。",
    ),
    "imputed_rules_folder": (
        " The imputation rules are in the data folder's README.",
        " 推計の方法はデータフォルダの README にあります。",
    ),
    "costs_note": (
        " Costs are model estimates (the 総務省 renewal-cost method with the planning model's unit costs); "
        "demand, coverage standards, land values and running costs are the planning model's assumptions, "
        "each named with its source in the model file.",
        " 費用はモデルによる推計です（総務省の更新費用試算の方法と計画モデルの単価）。需要、基準距離、地価、"
        "運営費は計画モデルの前提で、それぞれモデルファイルに出典を記載しています。",
    ),
    "of_n": ("{n} of {total}", "{total}件中{n}件"),
    "count_item": ("{n} {label}", "{label} {n}"),
    "list_sep": (", ", "、"),
}


#: the catalogue's capacity units as the report says them
CAPACITY_UNITS: dict[str, tuple[str, str]] = {
    "places": ("places", "人（定員）"),
    "pupils": ("pupils", "人（児童・生徒）"),
    "visitors at once": ("visitors at once", "人（同時利用）"),
    "rooms": ("rooms", "室"),
    "m2": ("m²", "m²"),
}

MESSAGES.update(REFORM_MESSAGES)
