import { INTENT_RESULT_NAME } from '../../shared/byrobot/enums.ts';
import type { Random } from './prng.ts';

/** What one call attempt ends with; generated when it is dialled, deterministic under the seed. */
export interface Outcome {
  finishStatus: number;
  ringSeconds: number;
  talkSeconds: number;
  chatRound: number;
  hangUp: number;
  turns: Array<{
    speaker: 'AI' | 'ME';
    content: string;
    startMs: number;
    endMs: number;
    aiUnknown: boolean;
    userMean: string | null;
  }>;
  results: Array<{
    name: string;
    value: string;
    desc: string | null;
    analyzeType: string | null;
    /** Set by a manual change in byrobot's CRM (World.regrade). */
    artificialChanged?: boolean;
    /** When it was last changed by hand (epoch ms). */
    modifiedAt?: number;
  }>;
}

/** A realistic mix of final outcomes (byrobot's official finishStatus table, plus 22). */
const FINISH_MIX: ReadonlyArray<readonly [number, number]> = [
  [0, 55],
  [1, 7],
  [2, 9],
  [3, 1],
  [4, 3],
  [5, 5],
  [6, 6],
  [7, 2],
  [8, 8],
  [9, 0.5],
  [10, 2],
  [11, 0.5],
  [22, 1],
];
export const INTENT_LABELS = {
  A: 'A级(有明确意向)',
  B: 'B级(可能有意向)',
  C: 'C级(明确拒绝)',
  D: 'D级(用户忙)',
  E: 'E级(拨打失败)',
  F: 'F级(无效客户)',
} as const;

const AI_LINES = [
  '您好，这里是{company}，请问是{name}吗？',
  '打扰您一分钟，我们最近有一个针对老客户的专属活动。',
  '这次活动可以享受首年八折优惠，您看有兴趣了解一下吗？',
  '好的，我简单给您介绍一下具体的方案。',
  '您的顾虑我理解，这个方案随时可以取消，没有额外费用。',
  '那我稍后安排专属顾问加您微信，详细给您发资料可以吗？',
  '请问您方便的时间是工作日还是周末呢？',
  '感谢您的耐心，祝您生活愉快，再见！',
];
const ME_LINES = [
  '喂，你好',
  '是我，什么事？',
  '嗯，你说',
  '具体是什么优惠？',
  '多少钱啊',
  '我现在有点忙',
  '可以，你发给我看看吧',
  '不需要了谢谢',
  '周末吧',
  '好的，再见',
];
const FOCUS = ['价格', '售后服务', '活动时间', '产品功能', '合同期限'];

export function generateOutcome(random: Random, customerName: string): Outcome {
  const finishStatus = random.weighted(FINISH_MIX);
  const ringSeconds = random.int(5, 25);
  if (finishStatus !== 0) {
    const level = finishStatus === 4 || finishStatus === 7 || finishStatus === 11 ? 'F' : 'E';
    return {
      finishStatus,
      ringSeconds,
      talkSeconds: 0,
      chatRound: 0,
      hangUp: 0,
      turns: [],
      results: [
        {
          name: INTENT_RESULT_NAME,
          value: INTENT_LABELS[level],
          desc: null,
          analyzeType: 'BY_ANALYZE_USER_LEVEL',
        },
      ],
    };
  }
  const chatRound = random.int(1, 12);
  const turns: Outcome['turns'] = [];
  let t = 0;
  for (let i = 0; i < chatRound * 2; i++) {
    const ai = i % 2 === 0;
    const text = ai ? AI_LINES[Math.min(Math.floor(i / 2), AI_LINES.length - 1)]! : random.pick(ME_LINES);
    const length = 800 + text.length * 180;
    turns.push({
      speaker: ai ? 'AI' : 'ME',
      content: text.replace('{company}', '百应演示').replace('{name}', customerName),
      startMs: t,
      endMs: t + length,
      aiUnknown: !ai && random.next() < 0.05,
      userMean: ai ? null : '~',
    });
    t += length + random.int(200, 900);
  }
  const level = random.weighted([
    ['A', 10],
    ['B', 25],
    ['C', 40],
    ['D', 25],
  ] as const);
  const results: Outcome['results'] = [
    {
      name: INTENT_RESULT_NAME,
      value: INTENT_LABELS[level],
      desc: level === 'A' ? '客户主动询问了产品细节，有进一步了解的意愿。' : null,
      analyzeType: 'BY_ANALYZE_USER_LEVEL',
    },
  ];
  if (level === 'A' || level === 'B')
    results.push({ name: '客户关注点', value: random.pick(FOCUS), desc: null, analyzeType: null });
  return {
    finishStatus,
    ringSeconds,
    talkSeconds: Math.max(10, Math.round(t / 1000)),
    chatRound,
    hangUp: random.next() < 0.6 ? 1 : 0,
    turns,
    results,
  };
}
