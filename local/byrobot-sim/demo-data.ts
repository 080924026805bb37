/** Seeded demo accounts: what `getCompanys`, `getPhones`, `getRobots` and `getSceneVariables` answer. */
export interface SimCompany {
  companyId: number;
  companyName: string;
  /** AI seats: running tasks use their concurrency; the rest queue (status 7). */
  seats: number;
  phones: Array<{
    userPhoneId: number;
    phone: string;
    phoneName: string;
    phoneType: number;
    available: boolean;
  }>;
  robots: Array<{
    robotDefId: number;
    robotName: string;
    sceneDefId: number;
    sceneDefName: string;
    variables: string[];
    sceneRecords: Array<{ sceneRecordId: number; sceneRecordName: string }>;
  }>;
}

export type SimRobot = SimCompany['robots'][number];

export function demoCompanies(seats = 10, count = 2): SimCompany[] {
  const companies: SimCompany[] = [
    {
      companyId: 1,
      companyName: '百应演示科技有限公司',
      seats,
      phones: [
        { userPhoneId: 11, phone: '02180001234', phoneName: '上海固话1', phoneType: 1, available: true },
        { userPhoneId: 12, phone: '02180001235', phoneName: '上海固话2', phoneType: 1, available: true },
        { userPhoneId: 13, phone: '13900001111', phoneName: '手机线路', phoneType: 0, available: true },
        { userPhoneId: 14, phone: '02180009999', phoneName: '停用线路', phoneType: 1, available: false },
      ],
      robots: [
        {
          robotDefId: 101,
          robotName: '新客回访机器人',
          sceneDefId: 201,
          sceneDefName: '新客回访',
          variables: [],
          sceneRecords: [
            { sceneRecordId: 301, sceneRecordName: '新客回访(女声)' },
            { sceneRecordId: 302, sceneRecordName: '新客回访(男声)' },
          ],
        },
        {
          robotDefId: 102,
          robotName: '还款提醒机器人',
          sceneDefId: 202,
          sceneDefName: '还款提醒',
          variables: ['还款金额'],
          sceneRecords: [{ sceneRecordId: 303, sceneRecordName: '还款提醒(标准)' }],
        },
      ],
    },
    {
      companyId: 2,
      companyName: '杭州示例贸易有限公司',
      seats,
      phones: [
        { userPhoneId: 21, phone: '057188886666', phoneName: '杭州固话', phoneType: 1, available: true },
        { userPhoneId: 22, phone: '13700002222', phoneName: '手机线路', phoneType: 0, available: true },
      ],
      robots: [
        {
          robotDefId: 111,
          robotName: '活动邀约机器人',
          sceneDefId: 211,
          sceneDefName: '门店活动邀约',
          variables: ['活动日期'],
          sceneRecords: [{ sceneRecordId: 311, sceneRecordName: '活动邀约(标准)' }],
        },
      ],
    },
  ];
  // Benchmarks spread tasks over more companies: each extra one is shaped like company 2.
  for (let id = 3; id <= count; id++) {
    const template = companies[1]!;
    companies.push({
      ...structuredClone(template),
      companyId: id,
      companyName: `示例公司${id}`,
      phones: template.phones.map((p, i) => ({ ...p, userPhoneId: id * 10 + i + 1 })),
      robots: template.robots.map((r) => ({ ...r, robotDefId: id * 100 + 11, sceneDefId: id * 100 + 111 })),
    });
  }
  return companies.slice(0, Math.max(1, count));
}
