"""Real numbers from the policy documents, copied into the project (a clone has no shared/).

武科发〔2019〕14号《区科技局关于进一步做好2019年高新技术企业培育工作的通知》, 附件
"2019年全区高新技术企业任务分解表", 单位：家.
"""

from dataclasses import dataclass

WUJIN_2019_DOC_NUMBER = "武科发〔2019〕14号"
WUJIN_2019_TITLE = "2019年全区高新技术企业任务分解表"
# District goals in the notice's text.
WUJIN_2019_NEW_HTE = 232  # 全区新增高新技术企业
WUJIN_2019_VALID_HTE = 765  # 累计有效高新技术企业总量（左右）
WUJIN_2019_POOL = 200  # 累计省高新技术培育入库企业数（以上）


@dataclass(frozen=True)
class TargetRow:
    unit: str  # as the 附件 names it (short name)
    valid_2018: int  # 2018年底高新技术企业数
    expiring: int  # 2018年底高企到期数 (certificates expiring in 2019, to re-apply)
    new_applications: int  # 2019年高企新申报数

    @property
    def subtotal(self) -> int:  # 小计 = 到期数 + 新申报数
        return self.expiring + self.new_applications


WUJIN_2019_ROWS = [
    TargetRow("高新区", 166, 45, 106),
    TargetRow("西太湖", 78, 27, 33),
    TargetRow("湖塘镇", 32, 9, 25),
    TargetRow("牛塘镇", 14, 7, 15),
    TargetRow("洛阳镇", 21, 5, 15),
    TargetRow("雪堰镇", 20, 4, 15),
    TargetRow("前黄镇", 23, 7, 11),
    TargetRow("礼嘉镇", 25, 3, 14),
    TargetRow("嘉泽镇", 5, 2, 5),
    TargetRow("湟里镇", 15, 5, 11),
    TargetRow("常经开", 134, 34, 100),
]
WUJIN_2019_TOTAL = TargetRow("全区", 533, 148, 350)  # the 附件's 全  区 row
